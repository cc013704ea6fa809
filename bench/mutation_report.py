"""The mutation report: which modules bench/mutation.py runs, how their results are
scored against the targets, and docs/mutation.md and docs/mutation.json written from the
runs kept in the JSON (with the equivalents of bench/mutation_equivalent.txt)."""

import hashlib
import json
from pathlib import Path

# The rule modules, in the order they run. Paths move while files are split: keep this
# list the one place that names them.
MODULES = [
    "skills/permissions.py",
    "skills/services/signoffs.py",
    "skills/services/status.py",
    "skills/services/history.py",
    "skills/services/counters.py",
    "skills/services/progress.py",
    "skills/services/progress_totals.py",
    "skills/reports/content.py",
    "skills/reports/period.py",
    "skills/reports/shared_details.py",
    "skills/reports/csv_export.py",
    "skills/models/people.py",
    "skills/models/curriculum.py",
    "skills/models/signoffs.py",
]
# Every non-equivalent mutant of these must be killed; the others need TARGET_SCORE.
KILL_ALL = {"skills/permissions.py"}
TARGET_SCORE = 90.0

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "bench" / "mutation_equivalent.txt"
REPORT_MD = ROOT / "docs" / "mutation.md"
REPORT_JSON = ROOT / "docs" / "mutation.json"

# mutmut's verdicts, grouped as the report counts them.
KILLED = {"killed", "timeout", "caught by type check"}
NOT_KILLED = ("survived", "no tests", "suspicious", "segfault", "not checked")


def dotted(module: str) -> str:
    """skills/services/progress.py -> skills.services.progress (as mutmut names mutants)."""
    name = module.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def owns(module: str, mutant: str) -> bool:
    """Whether `mutant` (skills.permissions.x_is_self__mutmut_3) is one of `module`'s."""
    prefix, _, rest = mutant.removeprefix(dotted(module) + ".").partition("__mutmut_")
    return mutant.startswith(dotted(module) + ".") and "." not in prefix and bool(rest)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _judgements() -> dict[str, tuple[str | None, str]]:
    """bench/mutation_equivalent.txt: `MUTANT_NAME [FINGERPRINT] reason`, one a line
    (the fingerprint in brackets is optional); # comments."""
    if not EQUIVALENT.exists():
        return {}
    judged = {}
    for line in EQUIVALENT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(" ")
        mark = None
        if rest.startswith("[") and "]" in rest:
            mark, _, rest = rest[1:].partition("]")
        judged[name] = (mark, rest.strip() or "(no reason given)")
    return judged


def read_equivalent() -> dict[str, str]:
    """The mutants judged equivalent, with their reasons."""
    return {name: reason for name, (_, reason) in _judgements().items()}


def fingerprint(diff: str) -> str:
    """A mutant's change, hashed: the lines it removes and adds, without the context or
    line numbers (those move when other code changes; the change does not)."""
    changed = [
        line.strip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return hashlib.sha256("\n".join(changed).encode()).hexdigest()[:8]


def changed_since_judged(entry: dict) -> set[str]:
    """The judged names in this run that now name another change: mutmut numbers
    mutants within their function, so after the function is edited a name can stand
    for a mutant no one judged. Those count as not judged until looked at again."""
    diffs = entry.get("diffs", {})
    return {
        name
        for name, (mark, _) in _judgements().items()
        if mark is not None and name in diffs and fingerprint(diffs[name]) != mark
    }


def judged_here(entry: dict, equivalent: dict[str, str]) -> dict[str, str]:
    """`equivalent` without the judgements this run shows to be for another change."""
    moved = changed_since_judged(entry)
    return {name: reason for name, reason in equivalent.items() if name not in moved}


def score(entry: dict, equivalent: dict[str, str]) -> dict:
    """Counts with the judged-equivalent survivors set apart, and the score over the rest."""
    equivalent = judged_here(entry, equivalent)
    statuses = entry["statuses"]
    equivalent_here = [n for n, s in statuses.items() if n in equivalent and s not in KILLED]
    killed = sum(1 for s in statuses.values() if s in KILLED)
    scored = len(statuses) - len(equivalent_here)
    percent = 100.0 * killed / scored if scored else None
    if entry["module"] in KILL_ALL:
        met = killed == scored
    else:
        met = percent is not None and percent >= TARGET_SCORE
    return {
        "equivalent": equivalent_here,
        "killed": killed,
        "scored": scored,
        "score": None if percent is None else round(percent, 1),
        "target": "all" if entry["module"] in KILL_ALL else f">= {TARGET_SCORE:g}%",
        "target_met": met if statuses else None,
        "not_killed": [n for n, s in statuses.items() if s not in KILLED and n not in equivalent],
    }


def partial_counts(entry: dict, equivalent: dict[str, str]) -> dict[str, int]:
    """A partial run's figures: judged, killed, and its judged survivors apart from
    those judged equivalent."""
    equivalent = judged_here(entry, equivalent)
    statuses = entry["statuses"]
    judged = {n: s for n, s in statuses.items() if s != "not checked"}
    survivors = [n for n, s in judged.items() if s not in KILLED]
    return {
        "total": len(statuses),
        "judged": len(judged),
        "killed": len(judged) - len(survivors),
        "not_killed": sum(1 for n in survivors if n not in equivalent),
        "equivalent": sum(1 for n in survivors if n in equivalent),
    }


def load_report() -> dict:
    if REPORT_JSON.exists():
        return json.loads(REPORT_JSON.read_text())
    return {"modules": {}}


def fence(text: str) -> str:
    return "```diff\n" + text.replace("```", "` ` `") + "\n```"


def render(report: dict) -> str:
    equivalent = read_equivalent()
    entries = [report["modules"][m] for m in MODULES if m in report["modules"]]
    scored = {e["module"]: score(e, equivalent) for e in entries}
    latest = max(entries, key=lambda e: e["date"]) if entries else None
    lines = [
        "# Mutation testing",
        "",
        "Generated by `python bench/mutation.py`; do not edit by hand (the reasons for",
        "equivalent mutants live in `bench/mutation_equivalent.txt`). Machine-readable:",
        "`docs/mutation.json`.",
        "",
        "## How to run",
        "",
        "```sh",
        "nice python bench/mutation.py                        # every rule module",
        "nice python bench/mutation.py skills/permissions.py  # one module",
        "python bench/mutation.py --report-only               # after editing the equivalents",
        "nice python bench/mutation.py --again MODULE         # survivors and changed functions",
        "python bench/mutation.py --save-partial MODULE       # keep an unfinished run's verdicts",
        "```",
        "",
        "[mutmut](https://github.com/boxed/mutmut) 3 mutates the functions of each module",
        "(operators, comparisons, constants, arguments, return values) and runs, for each",
        "mutant, the tests that called the function while mutmut watched the suite once.",
        "Its settings are the `[mutmut]` section of `setup.cfg`: the tests it may run leave",
        "out the slow and the out-of-process ones (browser, fuzz, concurrency, multi-server,",
        "backup, migrations, setup, writer lock, static checks, reading level, page weight).",
        "A mutant's tests run until the first failure, its own module's tests first",
        "(`tests/*signoff*.py` for `signoffs.py`), then the others fastest first.",
        "The run takes a snapshot in `build/mutation/`; afterwards",
        "`cd build/mutation && mutmut show NAME` or `mutmut browse` looks at its mutants.",
        "A run longer than a working session can keep what it has judged with",
        "`--save-partial` (while it runs, or after it was stopped); a later `--again` runs",
        "only the mutants it did not kill.",
        "It is not part of CI (too slow); this report, from its last run, is committed.",
        "",
        "Score = (killed + timeout) / (mutants - judged equivalent). A timeout counts as",
        "killed. Targets: every non-equivalent mutant of `skills/permissions.py` killed;",
        f"at least {TARGET_SCORE:g}% in the other modules.",
        "",
        "mutmut does not mutate decorated functions (`@property`, `@cached_property`,",
        "`@hybrid_method` and its `.expression`), nor module-level code: a rule written",
        "there is not covered here.",
        "",
    ]
    if latest:
        lines += [
            "## Last run",
            "",
            f"- Date: {latest['date']}",
            f"- Commit: {latest['commit']}"
            + (" plus uncommitted changes" if latest["uncommitted_changes"] else ""),
            f"- Files: {latest.get('files', 'working tree')}",
            f"- mutmut {latest['mutmut']}, {latest['jobs']} workers",
            "- Each module below says when it was run, if that differs.",
            "",
        ]
    lines += [
        "## Summary",
        "",
        "| Module | Mutants | Killed | Survived | Timeout | No tests | Other | Equivalent"
        " | Score | Target | Time | Load (1 min) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|",
    ]
    for entry in entries:
        c, s = entry["counts"], scored[entry["module"]]
        other = c.get("suspicious", 0) + c.get("segfault", 0) + c.get("not_checked", 0)
        equivalent_survived = sum(1 for n in s["equivalent"] if entry["statuses"][n] == "survived")
        percent = "-" if s["score"] is None else f"{s['score']:.1f}%"
        met = {True: "met", False: "**not met**", None: "-"}[s["target_met"]]
        lines.append(
            f"| `{entry['module']}` | {c['total']} | {c['killed']} "
            f"| {c['survived'] - equivalent_survived} | {c['timeout']} | {c['no_tests']} "
            f"| {other} | {len(s['equivalent'])} | {percent} | {s['target']}: {met} "
            f"| {entry['seconds']:.0f} s | {entry['load_average_before'][0]:.2f} |"
        )
    partial = report.get("partial", {})
    missing = [m for m in MODULES if m not in report["modules"] and m not in partial]
    if missing:
        lines += ["", "Not run yet: " + ", ".join(f"`{m}`" for m in missing) + "."]
    for module, entry in partial.items():
        c = partial_counts(entry, equivalent)
        newer = " (newer than its finished run below)" if module in report["modules"] else ""
        lines += [
            "",
            f"Partly run{newer}: `{module}`: {c['judged']} of {c['total']} mutants judged"
            f" ({c['killed']} killed, {c['not_killed']} not killed and not judged equivalent,"
            f" {c['equivalent']} judged equivalent), by the run of commit"
            f" {entry['commit'][:12]} started {entry['date']}; `--again` runs the rest.",
        ]
    lines += [
        "",
        "Survived excludes the survivors judged equivalent; Other is suspicious, segfault",
        "or not checked. Time is the wall time of that module's `mutmut run` (its clean",
        "test run included); Load is the 1-minute load average when it started.",
        "",
    ]

    for entry in entries:
        module, s = entry["module"], scored[entry["module"]]
        lines += [f"## `{module}`", ""]
        files = entry.get("files", "working tree")
        if files == "working tree":
            where = f"the working tree at {entry['commit'][:12]}"
            if entry["uncommitted_changes"]:
                where += " with uncommitted changes"
        else:
            where = f"the files of {files}"
        lines.append(
            f"Run {entry['date']} on {where}"
            + f"; {entry['seconds']:.0f} s with {entry['jobs']} workers; load average"
            f" {' '.join(f'{x:.2f}' for x in entry['load_average_before'])} before,"
            f" {' '.join(f'{x:.2f}' for x in entry['load_average_after'])} after."
        )
        current = ROOT / module
        if not current.exists():
            lines.append("**The module has moved or gone since; run again.**")
        elif sha256(current) != entry["source_sha256"]:
            lines.append("**The module has changed since this run; run it again.**")
        if entry.get("note"):
            lines.append(f"Note: {entry['note']}.")
        lines.append("")
        if s["not_killed"]:
            lines += ["### Not killed", ""]
            for name in s["not_killed"]:
                lines += [
                    f"#### `{name}` ({entry['statuses'][name]})",
                    "",
                    fence(entry["diffs"].get(name, "(no diff recorded)")),
                    "",
                ]
        elif entry["statuses"]:
            lines += ["Every mutant not judged equivalent was killed.", ""]
        timeouts = [n for n, status in entry["statuses"].items() if status == "timeout"]
        if timeouts:
            lines += [
                "### Timed out (counted as killed)",
                "",
                "mutmut stops a mutant's tests after a wall-clock limit (`timeout_constant`",
                "and `timeout_multiplier` in setup.cfg). Check that these really hang: on a",
                "loaded machine a slow survivor can time out too.",
                "",
            ]
            for name in timeouts:
                lines += [f"#### `{name}`", "", fence(entry["diffs"].get(name, "(no diff)")), ""]
        if s["equivalent"]:
            lines += ["### Judged equivalent", ""]
            for name in s["equivalent"]:
                lines += [
                    f"#### `{name}` ({entry['statuses'][name]})",
                    "",
                    f"Reason: {equivalent[name]}",
                    "",
                    fence(entry["diffs"].get(name, "(no diff recorded)")),
                    "",
                ]
    # A judgement whose mutant is now killed, or gone (mutants are numbered within
    # their function, so editing a function renumbers them), needs looking at again.
    every = {n: e["statuses"][n] for e in entries for n in e["statuses"]}
    stale = {n: r for n, r in equivalent.items() if every.get(n) in KILLED or n not in every}
    stale = {n: r for n, r in stale.items() if any(owns(e["module"], n) for e in entries)}
    moved = {n for e in entries for n in changed_since_judged(e)}
    stale |= {n: equivalent[n] for n in sorted(moved)}
    if stale:
        lines += ["## Equivalence judgements to revisit", ""]
        for name, reason in stale.items():
            if name in moved:
                state = "now another change: counted as not killed"
            else:
                state = "killed now" if name in every else "no such mutant now"
            lines.append(f"- `{name}` ({state}): {reason}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_report(report: dict) -> None:
    # The scores as the report shows them, so a reader of the JSON needs no arithmetic.
    equivalent = read_equivalent()
    report["summary"] = {}
    for module, entry in report["modules"].items():
        s = score(entry, equivalent)
        report["summary"][module] = {
            "mutants": entry["counts"]["total"],
            "killed": s["killed"],
            "not_killed": s["not_killed"],
            "equivalent": {name: equivalent[name] for name in s["equivalent"]},
            "score_percent": s["score"],
            "target": s["target"],
            "target_met": s["target_met"],
            "seconds": entry["seconds"],
        }
    REPORT_JSON.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    REPORT_MD.write_text(render(report))
