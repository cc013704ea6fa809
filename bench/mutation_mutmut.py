"""Running mutmut from bench/mutation.py: its bootstrap, its verdicts and diffs, and git.

mutmut works in the snapshot WORK (build/mutation); one run at a time holds LOCK.
"""

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from mutation_report import NOT_KILLED, ROOT

WORK = ROOT / "build" / "mutation"
LOCK = ROOT / "build" / "mutation.lock"

# mutmut reads its settings from setup.cfg; the modules to mutate come from here, so a
# small bootstrap sets `only_mutate` before handing over to mutmut's own command line.
# Every mutmut command (run, show, results, browse) goes through it.
# It also orders each mutant's tests with own_tests_first.
_MUTMUT = """
import json, sys
sys.path.append(BENCH)
from mutation_mutmut import own_tests_first
from mutmut.configuration import config
config().only_mutate = json.loads(sys.argv[1])
from mutmut.runners.harness import PytestRunner
_run_tests = PytestRunner.run_tests
def _run_own_tests_first(self, *, mutant_name, tests):
    return _run_tests(self, mutant_name=mutant_name, tests=own_tests_first(mutant_name, tests))
PytestRunner.run_tests = _run_own_tests_first
from mutmut.__main__ import cli
if sys.argv[2] == "show-many":
    import contextlib, io
    diffs = {}
    for name in sys.argv[3:]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli.main(["show", name], prog_name="mutmut", standalone_mode=False)
        diffs[name] = out.getvalue()
    print(json.dumps(diffs))
else:
    cli.main(sys.argv[2:], prog_name="mutmut")
""".replace("BENCH", repr(str(Path(__file__).resolve().parent)))


def own_tests_first(mutant_name: str | None, tests: list[str]) -> list[str]:
    """A mutant's tests with its own module's first (tests/*signoff*.py for signoffs.py).

    mutmut runs them fastest first and stops at the first failure; the fast ones are
    often far-off tests whose fixtures happen to call the function, so a mutant the
    module's own tests kill waited behind hundreds of others. The verdict is the same,
    only sooner.
    """
    if not mutant_name:
        return tests
    stem = mutant_name.rsplit(".", 1)[0].rsplit(".", 1)[-1].rstrip("s")
    return sorted(tests, key=lambda test: stem not in test.split("::")[0].rsplit("/")[-1])


def mutmut(modules: list[str], *args: str, capture: bool = False, cwd: Path = WORK):
    command = [sys.executable, "-c", _MUTMUT, json.dumps(modules), *args]
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command, cwd=cwd, capture_output=capture, text=True, check=False
    )


def mutmut_run(modules: list[str], *args: str) -> tuple[int, str]:
    """`mutmut run ...`, its output passed through; the exit code and the output's tail."""
    command = [sys.executable, "-c", _MUTMUT, json.dumps(modules), "run", *args]
    with subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, cwd=WORK, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as child:
        tail = b""
        while chunk := child.stdout.read1(65536):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            tail = (tail + chunk)[-20000:]
    return child.returncode, tail.decode(errors="replace")


def git(*args: str) -> str:
    # Read-only git commands; --no-optional-locks keeps `status` from touching the index.
    result = subprocess.run(  # noqa: S603
        ["git", "--no-optional-locks", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def settings() -> dict:
    """The `[mutmut]` settings of setup.cfg, as mutmut reads them."""
    with contextlib.chdir(ROOT):
        from mutmut.configuration import config

        return {
            "source_paths": [str(p) for p in config().source_paths],
            "also_copy": [str(p) for p in config().also_copy],
            "test_selection": config().pytest_add_cli_args_test_selection,
        }


def read_meta(module: str) -> dict[str, str]:
    """Every mutant of `module` with mutmut's verdict, from mutants/<module>.meta."""
    from mutmut.stats import status_by_exit_code

    meta = WORK / "mutants" / (module + ".meta")
    for _ in range(50):
        if not meta.exists():
            return {}
        try:
            codes = json.loads(meta.read_text())["exit_code_by_key"]
        except json.JSONDecodeError:  # mutmut rewrites it in place while a run goes on
            time.sleep(0.1)
            continue
        return {name: status_by_exit_code[code] for name, code in codes.items()}
    raise RuntimeError(f"{meta} does not read as JSON")


def diffs(modules: list[str], names: list[str]) -> dict[str, str]:
    """`mutmut show NAME` for each name, without its first (status) line."""
    shown: dict[str, str] = {}
    for start in range(0, len(names), 200):
        batch = names[start : start + 200]
        result = mutmut(modules, "show-many", *batch, capture=True)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            shown.update({name: "(mutmut show failed)" for name in batch})
            continue
        for name, text in json.loads(result.stdout.splitlines()[-1]).items():
            lines = text.splitlines()
            if lines and lines[0].startswith("# "):
                lines = lines[1:]
            shown[name] = "\n".join(lines).strip("\n")
    return shown


def count(statuses: dict[str, str]) -> dict[str, int]:
    counts = {"total": len(statuses), "killed": 0, "timeout": 0, "caught_by_type_check": 0}
    counts.update({status.replace(" ", "_"): 0 for status in NOT_KILLED})
    for status in statuses.values():
        key = status.replace(" ", "_")
        counts[key] = counts.get(key, 0) + 1
    return counts


def mutant_order(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number) if number.isdigit() else 0
