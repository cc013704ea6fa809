"""Mutation testing of the rule modules: `python bench/mutation.py [MODULE ...] [--jobs N]`.

mutmut 3 (its settings are the `[mutmut]` section of setup.cfg) mutates the modules in
MODULES (bench/mutation_report.py), one module at a time, and runs, for each mutant,
only the tests that call the mutated function. Then bench/mutation_report.py writes
docs/mutation.md (the report: every surviving mutant with its diff) and
docs/mutation.json (the same, for machines).

    python bench/mutation.py                          # every module in MODULES
    python bench/mutation.py skills/permissions.py    # one (or a few) of them
    python bench/mutation.py --report-only            # rewrite the report only
    python bench/mutation.py --again MODULE           # its survivors, after adding tests
    python bench/mutation.py --save-partial MODULE    # keep an unfinished run's verdicts

`--again` runs the mutants the module's last run did not kill (and its timeouts); on a
module changed since, also every mutant of its new or changed functions, carrying the
other functions' verdicts over (bench/mutation_functions.py).

A whole run of a large module can outlast a working session, and the snapshot (with
mutmut's verdicts) is not kept: `--save-partial MODULE` records the verdicts reached so
far by the run in progress in docs/mutation.json (as a partial run, apart from the
finished ones), and a later `--again MODULE` runs only what it did not kill.

A run of some modules replaces their part of docs/mutation.json and keeps the others.
Mutants judged equivalent are listed, one name and its reason per line, in
bench/mutation_equivalent.txt; the report counts them apart from the score, so
`--report-only` after editing that file is enough.

The run works on a snapshot: the package, the tests and what `also_copy` names are
copied to build/mutation/ first, so edits made to the working tree while it runs do not
mix into it. mutmut's own files stay in build/mutation/mutants/ until the next run, so
`cd build/mutation && mutmut show NAME` (or `mutmut browse`) works afterwards.
"""

import argparse
import fcntl
import fnmatch
import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime

from mutation_functions import (
    changed_functions,
    function_hashes,
    function_of,
    module_code,
    outside_changes,
    source_at_hash,
)
from mutation_mutmut import (
    LOCK,
    WORK,
    count,
    diffs,
    git,
    mutant_order,
    mutmut_run,
    mutmut_version,
    read_meta,
    settings,
)
from mutation_partial import record_run, save_partial
from mutation_report import (
    KILLED,
    MODULES,
    NOT_KILLED,
    REPORT_JSON,
    REPORT_MD,
    ROOT,
    dotted,
    judged_here,
    load_report,
    read_equivalent,
    sha256,
    write_report,
)


def hold_lock(modules: list[str]):
    """One run at a time: a second would delete the snapshot the first is running in.

    Waits for the run holding the lock; returns the open lock file (closing it unlocks).
    """
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    lock = LOCK.open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "another run"
        print(f"waiting for {holder} to finish (it uses {WORK.relative_to(ROOT)})", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    lock.seek(0)
    lock.truncate()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    lock.write(f"bench/mutation.py pid {os.getpid()}, started {started}: {' '.join(modules)}\n")
    lock.flush()
    return lock


def take_snapshot(config: dict, commit: str | None) -> list[str]:
    """Copy what mutmut needs into WORK, fresh; return the top-level paths copied.

    From the working tree, or with `commit` from that commit (`git archive`, read-only).
    """
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    names = list(dict.fromkeys(config["source_paths"] + config["also_copy"]))
    if commit:
        names = [n for n in names if git("ls-tree", "--name-only", commit, "--", n)]
        archive = subprocess.run(  # noqa: S603
            ["git", "archive", "--format=tar", commit, "--", *names],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(WORK, filter="data")
        # The commit's code and tests, run with today's mutmut settings.
        (WORK / "setup.cfg").write_text(
            without_mutmut_section((WORK / "setup.cfg").read_text())
            + mutmut_section((ROOT / "setup.cfg").read_text())
        )
        return names
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    copied = []
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, WORK / name, ignore=ignore, symlinks=True)
        elif source.is_file():
            (WORK / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, WORK / name)
        else:
            continue
        copied.append(name)
    return copied


def _section_bounds(text: str) -> tuple[int, int] | None:
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == "[mutmut]"]
    if not starts:
        return None
    end = next(
        (i for i in range(starts[0] + 1, len(lines)) if lines[i].startswith("[")), len(lines)
    )
    return sum(map(len, lines[: starts[0]])), sum(map(len, lines[:end]))


def mutmut_section(text: str) -> str:
    bounds = _section_bounds(text)
    return "\n" + text[bounds[0] : bounds[1]] if bounds else ""


def without_mutmut_section(text: str) -> str:
    bounds = _section_bounds(text)
    return text[: bounds[0]] + text[bounds[1] :] if bounds else text


def run_module(module: str, all_modules: list[str], jobs: int, context: dict) -> dict:
    """Run mutmut on one module's mutants; return its entry for docs/mutation.json."""
    print(f"\n=== {module}", flush=True)
    load_before = os.getloadavg()
    date = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.monotonic()
    # Naming the mutants makes mutmut run them all again, whatever it had cached.
    exit_code, output = mutmut_run(all_modules, "--max-children", str(jobs), f"{dotted(module)}.x*")
    seconds = time.monotonic() - start
    statuses = read_meta(module)
    entry = {
        "module": module,
        "source_sha256": context["hashes"][module],
        "functions": function_hashes((WORK / module).read_text()),
        "module_code": module_code((WORK / module).read_text()),
        "date": date,
        "commit": context["commit"],
        "uncommitted_changes": context["dirty"],
        "files": context["files"],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(seconds, 1),
        "jobs": jobs,
        "mutmut": context["mutmut"],
        "mutmut_exit_code": exit_code,
        "counts": count(statuses),
        "statuses": dict(sorted(statuses.items(), key=lambda kv: mutant_order(kv[0]))),
        "diffs": {},
    }
    if exit_code != 0 and not statuses and "nothing matches" in output:
        # mutmut refuses a name pattern that matches no mutant, after its other checks.
        entry["mutmut_exit_code"] = 0
        entry["note"] = "mutmut made no mutants (it skips decorated functions and module code)"
    # Timeouts count as killed, but their diffs are kept to check they are real hangs.
    unkilled = [name for name, status in entry["statuses"].items() if status != "killed"]
    entry["diffs"] = diffs(all_modules, unkilled) if unkilled else {}
    return entry


def to_run_again(entry: dict, equivalent: dict[str, str]) -> list[str]:
    """The mutants of a module's last run that `--again` runs: those not killed and not
    judged equivalent, every timeout (it counts as killed, so it must be a real one), and
    every one a partial run did not reach, equivalent or not."""
    equivalent = judged_here(entry, equivalent)
    return [
        name
        for name, status in entry["statuses"].items()
        if status in ("timeout", "not checked") or (status in NOT_KILLED and name not in equivalent)
    ]


def run_again(
    module: str, plan: dict, all_modules: list[str], jobs: int, context: dict
) -> dict | None:
    """Run what `plan_again` chose with today's tests and merge the verdicts into the
    module's last run; None if mutmut did not judge them all."""
    entry, names, changed = plan["entry"], plan["names"], plan["changed"]
    patterns = [f"{dotted(module)}.{function}__mutmut_*" for function in changed]
    print(
        f"\n=== {module}: {len(names)} not killed or timed out last time"
        + (f", every mutant of {len(changed)} new or changed functions" if changed else ""),
        flush=True,
    )
    load_before = os.getloadavg()
    date = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.monotonic()
    exit_code, output = mutmut_run(all_modules, "--max-children", str(jobs), *names, *patterns)
    seconds = time.monotonic() - start
    now = {
        name: status
        for name, status in read_meta(module).items()
        if name in names or any(fnmatch.fnmatchcase(name, p) for p in patterns)
    }
    if exit_code != 0 and not now and not names and "nothing matches" in output:
        exit_code = 0  # the changed functions have no mutants (decorated, say)
    if exit_code != 0 or not set(names) <= set(now) or "not checked" in now.values():
        print(f"--- {module}: mutmut exited with {exit_code}, {len(now)} judged", flush=True)
        return None
    killed_now = sum(1 for status in now.values() if status in KILLED)
    what = []
    if names:
        what.append(
            f"{len(names)} mutants the last run did not kill (or that stopped at their time limit)"
        )
    if changed:
        what.append(
            f"the {len(now) - len(names)} mutants of the functions new or changed since"
            f" ({', '.join(f.removeprefix('x_') for f in changed)}; the other functions'"
            " verdicts carried over)"
        )
    said = (
        f"On {date}, {' and '.join(what)} were run"
        f" with the tests of commit {context['commit'][:12]}"
        + (" plus uncommitted changes" if context["dirty"] else "")
        + f" ({seconds:.0f} s, load {load_before[0]:.2f}): {killed_now} killed"
    )
    # A diff is kept for whatever is not killed outright, timeouts included (run_module).
    still = [name for name, status in now.items() if status != "killed"]
    kept = {n: d for n, d in entry["diffs"].items() if n not in now}
    statuses = {**entry["statuses"], **now}
    return {
        **entry,
        "source_sha256": context["hashes"][module],
        "functions": plan["functions"],
        "module_code": plan["module_code"],
        "statuses": dict(sorted(statuses.items(), key=lambda kv: mutant_order(kv[0]))),
        "counts": count(statuses),
        "note": "; ".join(filter(None, [entry.get("note"), said])),
        "diffs": {**kept, **(diffs(all_modules, still) if still else {})},
    }


def plan_again(module: str, entry: dict, equivalent: dict[str, str]) -> dict | str:
    """What `--again` runs of `module`: the mutants its last run did not kill
    (`to_run_again`) and, if the module changed since, every mutant of the functions
    that are new or changed (the mutants of removed or changed functions are dropped).
    A string says why it cannot."""
    if entry["mutmut"] != mutmut_version():
        return f"{module} was run with mutmut {entry['mutmut']}: run it whole"
    source = (ROOT / module).read_text()
    now = function_hashes(source)
    changed: list[str] = []
    if entry["source_sha256"] != sha256(ROOT / module):
        # The text the last run mutated, from the commit that holds it: compared with
        # today's, imports count name by name (`outside_changes`).
        old = source_at_hash(ROOT, module, entry["source_sha256"])
        if old is not None:
            before, outside = function_hashes(old), outside_changes(old, source)
        elif entry.get("functions") is None or entry.get("module_code") is None:
            return f"{module} changed since its last run, whose text no commit holds"
        else:
            before = entry["functions"]
            outside = set(entry["module_code"]) - set(module_code(source))
        if outside:
            return f"{module} changed outside its functions since its last run: run it whole"
        changed = changed_functions(before, now)
        keep = {
            n: s
            for n, s in entry["statuses"].items()
            if function_of(dotted(module), n) in now
            and function_of(dotted(module), n) not in changed
        }
        diffs_kept = {n: d for n, d in entry["diffs"].items() if n in keep}
        entry = {**entry, "statuses": keep, "diffs": diffs_kept}
    return {
        "entry": entry,
        "names": to_run_again(entry, equivalent),
        "changed": changed,
        "functions": now,
        "module_code": module_code(source),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths from MODULES (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutmut workers")
    parser.add_argument("--commit", help="mutate this commit's files instead of the working tree's")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report only")
    parser.add_argument(
        "--again",
        action="store_true",
        help="run again only what the last run did not kill or timed out (after adding tests)",
    )
    parser.add_argument(
        "--save-partial",
        action="store_true",
        help="record the verdicts an unfinished run has reached, for a later --again",
    )
    args = parser.parse_args()

    report = load_report()
    if args.report_only:
        write_report(report)
        print(f"wrote {REPORT_MD.relative_to(ROOT)}")
        return 0

    chosen = [m.removeprefix("./") for m in args.modules] or MODULES
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        parser.error(f"not in MODULES of bench/mutation_report.py: {', '.join(unknown)}")
    if args.save_partial:
        if not args.modules or args.again or args.commit:
            parser.error("--save-partial takes the modules of the run to keep, and nothing else")
        for line in save_partial(chosen, args.jobs):
            print(line)
        return 0

    commit = git("rev-parse", "--verify", (args.commit or "HEAD") + "^{commit}")
    if not commit:
        parser.error(f"no such commit: {args.commit}")
    again: dict[str, dict] = {}
    if args.again:
        # Checked before the snapshot replaces the last run's mutants.
        if args.commit:
            parser.error("--again runs the working tree's tests; leave out --commit")
        equivalent = read_equivalent()
        for module in chosen:
            # The verdicts a partial run reached are newer than any finished run's (a
            # finished run removes the partial one).
            entry = report.get("partial", {}).get(module) or report["modules"].get(module)
            if entry is None:
                parser.error(f"not run yet: {module}")
            plan = plan_again(module, entry, equivalent)
            if isinstance(plan, str):
                parser.error(plan)
            if plan["names"] or plan["changed"]:
                again[module] = plan
            else:
                print(f"{module}: nothing to run again", flush=True)
        chosen = list(again)
        if not chosen:
            return 0
    lock = hold_lock(chosen)
    config = settings()
    copied = take_snapshot(config, commit if args.commit else None)
    print(f"snapshot of {', '.join(copied)} in {WORK.relative_to(ROOT)}", flush=True)
    context = {
        "commit": commit,
        "dirty": not args.commit and bool(git("status", "--porcelain", "--", *copied)),
        "files": f"commit {commit[:12]}" if args.commit else "working tree",
        "hashes": {m: sha256(WORK / m) for m in chosen if (WORK / m).is_file()},
        "mutmut": mutmut_version(),
    }
    gone = [m for m in chosen if m not in context["hashes"]]
    if gone:
        parser.error(f"no such file (moved?): {', '.join(gone)}; update MODULES")
    record_run(context, args.jobs)
    started = time.monotonic()
    failed = []
    for module in chosen:
        if args.again:
            merged = run_again(module, again[module], chosen, args.jobs, context)
            if merged is None:
                failed.append(module)
                continue
            entry = merged
        else:
            entry = run_module(module, chosen, args.jobs, context)
        c = entry["counts"]
        if entry["mutmut_exit_code"] != 0 and (not entry["statuses"] or c["not_checked"]):
            # mutmut stopped before judging them (most often: a test fails without any
            # mutant, or the module has no mutants): keep the last good result.
            failed.append(module)
            print(f"--- {module}: mutmut exited with {entry['mutmut_exit_code']}", flush=True)
            continue
        report = load_report()
        report["modules"][module] = entry
        report.get("partial", {}).pop(module, None)  # finished now, or run whole
        # Modules that left MODULES (moved, split) drop out of the report.
        report["modules"] = {m: report["modules"][m] for m in MODULES if m in report["modules"]}
        write_report(report)
        print(
            f"--- {module}: {c['total']} mutants, {c['killed']} killed, {c['survived']} survived,"
            f" {c['timeout']} timeout, {c['no_tests']} no tests in {entry['seconds']:.0f} s",
            flush=True,
        )
    lock.close()
    done = [m for m in chosen if m not in failed]
    print(f"\nall done in {time.monotonic() - started:.0f} s", flush=True)
    if done:
        print(f"wrote {REPORT_MD.relative_to(ROOT)} and {REPORT_JSON.relative_to(ROOT)}")
    if failed:
        print(f"mutmut failed on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
