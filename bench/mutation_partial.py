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
        last = datetime.fromtimestamp(meta.stat().st_mtime, UTC)
        started = info["started"] or last.isoformat(timespec="seconds")
        # As run_module keeps them: the diff of each judged mutant not killed outright.
        unkilled = [n for n, status in statuses.items() if status not in ("killed", "not checked")]
        earlier = load_report().get("partial", {}).get(module)
        if earlier and earlier["source_sha256"] == sha256(WORK / module):
            # An `--again` of an earlier partial run: what it has judged adds to that one.
            entries[module] = {
                **earlier,
                "statuses": {
                    **earlier["statuses"],
                    **{n: s for n, s in statuses.items() if s != "not checked"},
                },
                "diffs": {
                    **{
                        n: d
                        for n, d in earlier["diffs"].items()
                        if n not in statuses or statuses[n] == "not checked"
                    },
                    **(diffs(modules, unkilled) if unkilled else {}),
                },
                # Saved again during the same run: its earlier sentence is replaced.
                "note": earlier["note"].partition(f"; then the run started {started}")[0]
                + f"; then the run started {started} judged {judged} more by"
                f" {last.isoformat(timespec='seconds')}",
            }
            entries[module]["counts"] = count(entries[module]["statuses"])
            lines.append(f"{module}: {judged} more judged, added to its earlier partial run")
            continue
        entries[module] = {
            "module": module,
            "source_sha256": sha256(WORK / module),
            "functions": function_hashes(source),
            "module_code": module_code(source),
            "date": started,
            "commit": info["commit"],
            "uncommitted_changes": info["uncommitted_changes"],
            "files": info["files"],
            "load_average_before": info["load_average_before"] or [0.0, 0.0, 0.0],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "seconds": round((last - datetime.fromisoformat(started)).total_seconds(), 1),
            "jobs": info["jobs"],
            "mutmut": mutmut_version(),
            "mutmut_exit_code": 0,
            "counts": count(statuses),
            "statuses": dict(sorted(statuses.items(), key=lambda kv: mutant_order(kv[0]))),
            "diffs": diffs(modules, unkilled) if unkilled else {},
            "note": (
                f"Partly run: the run started {started} had judged {judged} of"
                f" {len(statuses)} mutants by its last verdict at"
                f" {last.isoformat(timespec='seconds')} (time given up to then), kept by"
                " `--save-partial`"
            ),
        }
        lines.append(f"{module}: {judged} of {len(statuses)} judged")
    # Read again just before writing: a run may have finished a module meanwhile.
    report = load_report()
    report.setdefault("partial", {}).update(entries)
    write_report(report)
    return lines
