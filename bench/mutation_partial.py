"""Keeping what an unfinished mutation run has judged (`bench/mutation.py --save-partial`).

A whole run of a module on the sign-off path can take longer than a working session,
and the snapshot that holds mutmut's verdicts is not kept. `save_partial` records them
in docs/mutation.json under "partial" (apart from the finished runs), with the run's
own commit and start from RUN_INFO; a later `--again` runs only what they did not kill.
"""

import json
import os
from datetime import UTC, datetime

from mutation_functions import function_hashes, module_code
from mutation_mutmut import (
    LOCK,
    WORK,
    count,
    diffs,
    git,
    mutant_order,
    mutmut_version,
    read_meta,
)
from mutation_report import load_report, sha256, write_report

# What a run writes into its snapshot when it starts, for `save_partial`.
RUN_INFO = WORK / "run.json"


def record_run(context: dict, jobs: int) -> None:
    """Write RUN_INFO: the commit, files and start of the run beginning in WORK."""
    info = {
        "commit": context["commit"],
        "uncommitted_changes": context["dirty"],
        "files": context["files"],
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "jobs": jobs,
    }
    RUN_INFO.write_text(json.dumps(info, indent=1) + "\n")


def _run_info(jobs: int) -> dict:
    """RUN_INFO, or for a run started before it existed: the start the lock file names
    and the commit checked out (such runs were made in a fresh clone)."""
    if RUN_INFO.exists():
        return json.loads(RUN_INFO.read_text())
    held = LOCK.read_text() if LOCK.exists() else ""
    started = held.partition("started ")[2].partition(": ")[0]
    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": False,
        "files": "working tree",
        "started": started or None,
        "load_average_before": None,
        "jobs": jobs,
    }


def save_partial(modules: list[str], jobs: int) -> list[str]:
    """Record, for each module, the verdicts the run in progress (or stopped) in WORK has
    reached, as a partial run; return what was saved, one line per module."""
    info = _run_info(jobs)
    entries = {}
    lines = []
    for module in modules:
        statuses = read_meta(module)
        judged = sum(1 for status in statuses.values() if status != "not checked")
        if not judged:
            lines.append(f"{module}: no verdicts yet in {WORK.name}")
            continue
        source = (WORK / module).read_text()
        # The time of the last verdict, not of this save: the run may have stopped earlier.
        meta = WORK / "mutants" / (module + ".meta")
        last = datetime.fromtimestamp(meta.stat().st_mtime, UTC).isoformat(timespec="seconds")
        run = {"started": info["started"] or last, "judged": judged, "last_verdict": last}
        # As run_module keeps them: the diff of each judged mutant not killed outright.
        unkilled = [n for n, status in statuses.items() if status not in ("killed", "not checked")]
        fresh = {
            "module": module,
            "source_sha256": sha256(WORK / module),
            "functions": function_hashes(source),
            "module_code": module_code(source),
            "date": run["started"],
            "commit": info["commit"],
            "uncommitted_changes": info["uncommitted_changes"],
            "files": info["files"],
            "load_average_before": info["load_average_before"] or [0.0, 0.0, 0.0],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "jobs": info["jobs"],
            "mutmut": mutmut_version(),
            "mutmut_exit_code": 0,
            "statuses": dict(sorted(statuses.items(), key=lambda kv: mutant_order(kv[0]))),
            "diffs": diffs(modules, unkilled) if unkilled else {},
            "runs": [],
        }
        earlier = load_report().get("partial", {}).get(module)
        if earlier and earlier["source_sha256"] != fresh["source_sha256"]:
            earlier = None  # the module changed: this run starts a new partial run
        entries[module] = merge_partial(earlier or fresh, fresh, run)
        lines.append(f"{module}: {judged} of {len(statuses)} judged (run started {run['started']})")
    # Read again just before writing: a run may have finished a module meanwhile.
    report = load_report()
    report.setdefault("partial", {}).update(entries)
    write_report(report)
    return lines


def merge_partial(earlier: dict, fresh: dict, run: dict) -> dict:
    """`earlier` (a partial run, or `fresh` itself) with what the run `run` has judged
    (`fresh`) added: an `--again` of a partial run judges some of its mutants, and a run
    saved twice replaces what it said the first time."""
    judged = {n: s for n, s in fresh["statuses"].items() if s != "not checked"}
    statuses = {**earlier["statuses"], **judged}
    kept = {n: d for n, d in earlier["diffs"].items() if n not in judged}
    runs = [r for r in earlier["runs"] if r["started"] != run["started"]] + [run]
    return {
        **earlier,
        "statuses": dict(sorted(statuses.items(), key=lambda kv: mutant_order(kv[0]))),
        "counts": count(statuses),
        "diffs": {**kept, **fresh["diffs"]},
        "runs": runs,
        "seconds": sum(
            (
                datetime.fromisoformat(r["last_verdict"]) - datetime.fromisoformat(r["started"])
            ).total_seconds()
            for r in runs
        ),
        "note": "Partly run, kept by `--save-partial`: "
        + "; ".join(
            f"the run started {r['started']} judged {r['judged']} mutants by its last"
            f" verdict at {r['last_verdict']}"
            for r in runs
        ),
    }
