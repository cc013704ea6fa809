"""bench/mutation.py's choices: which mutants `--again` runs (a function wrongly called
unchanged keeps a stale verdict in the mutation report) and how a partial run counts."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

# The harness's modules import each other by name, as scripts in bench/ do.
BENCH = str(Path(__file__).resolve().parent.parent / "bench")
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import mutation  # noqa: E402
import mutation_functions as mf  # noqa: E402
import mutation_partial  # noqa: E402
import mutation_report  # noqa: E402

BEFORE = '''
import os

LIMIT = 3


def can_view(user, mentee):
    """Who may see."""
    return user.id == mentee.id


class Rules:
    kind = "rule"

    def check(self, level):
        return level >= LIMIT
'''


def test_layout_and_comments_do_not_change_a_function_but_its_code_does():
    same_rule = "    # the same rule\n    return (user.id ==\n  mentee.id)"
    relaid = BEFORE.replace("    return user.id == mentee.id", same_rule)
    assert mf.function_hashes(relaid) == mf.function_hashes(BEFORE)
    assert sorted(mf.function_hashes(BEFORE)) == ["x_can_view", "xǁRulesǁcheck"]

    changed = BEFORE.replace("level >= LIMIT", "level > LIMIT")
    assert mf.changed_functions(mf.function_hashes(BEFORE), mf.function_hashes(changed)) == [
        "xǁRulesǁcheck"
    ]
    added = BEFORE + "\n\ndef extra():\n    return 1\n"
    assert mf.changed_functions(mf.function_hashes(BEFORE), mf.function_hashes(added)) == [
        "x_extra"
    ]


@pytest.mark.parametrize(
    "old, new",
    [
        ("LIMIT = 3", "LIMIT = 4"),  # a constant
        ("import os", "import sys"),  # an import
        ('kind = "rule"', 'kind = "other"'),  # a class attribute
        ("class Rules:", "class Rules(dict):"),  # a base class
    ],
)
def test_a_change_outside_the_functions_is_seen(old, new):
    before, after = mf.module_code(BEFORE), mf.module_code(BEFORE.replace(old, new))
    assert set(before) - set(after)
    # ... while the functions themselves look unchanged.
    assert mf.function_hashes(BEFORE.replace(old, new)) == mf.function_hashes(BEFORE)


def test_an_added_statement_outside_the_functions_removes_nothing():
    before, after = mf.module_code(BEFORE), mf.module_code(BEFORE + "\nOTHER = 1\n")
    assert not set(before) - set(after)
    assert len(after) == len(before) + 1


IMPORTS = """
from sqlalchemy import select
from .rules import LIMIT, can_view


def check(level):
    return level >= LIMIT and select
"""


@pytest.mark.parametrize(
    "new, changed",
    [
        # Imports merged or split, or a name added: nothing outside the functions changed.
        (IMPORTS.replace("import select", "import insert, select"), False),
        (IMPORTS.replace("LIMIT, can_view", "LIMIT\nfrom .rules import can_view"), False),
        # A name nothing uses any more is dropped: no function can see the difference.
        (IMPORTS.replace("LIMIT, can_view", "LIMIT"), False),
        # A used name bound to something else, or dropped while still used: changed.
        (IMPORTS.replace("from .rules import LIMIT", "from .other import LIMIT"), True),
        (IMPORTS.replace("LIMIT, can_view", "can_view"), True),
        (IMPORTS.replace("import select", "import select as LIMIT"), True),
    ],
)
def test_imports_count_name_by_name(new, changed):
    assert bool(mf.outside_changes(IMPORTS, new)) is changed


@pytest.mark.parametrize(
    "old, new",
    [
        # A star import binds names unseen here: dropped or changed, it counts.
        ("from .rules import *\n", ""),
        ("from .rules import *\n", "from .other import *\n"),
        # `import a.b` binds `a`, as `import a.c` does: the path tells them apart.
        ("import sqlalchemy.orm\nORM = sqlalchemy\n", "import sqlalchemy.sql\nORM = sqlalchemy\n"),
        ("from __future__ import annotations\n", ""),
    ],
)
def test_star_future_and_dotted_imports_always_count(old, new):
    assert mf.outside_changes(old + IMPORTS, new + IMPORTS)


def test_a_mutant_belongs_to_its_function():
    assert mf.function_of("skills.permissions", "skills.permissions.x_can_view__mutmut_3") == (
        "x_can_view"
    )
    assert mf.function_of("skills.p", "skills.p.xǁRulesǁcheck__mutmut_12") == "xǁRulesǁcheck"


def test_an_older_runs_text_is_found_in_git_by_its_hash(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)  # noqa: S603, S607

    git("init", "-q")
    module = tmp_path / "rules.py"
    module.write_text(BEFORE)
    git("add", "rules.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "one")
    module.write_text(BEFORE + "\nOTHER = 1\n")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "two")

    first = hashlib.sha256(BEFORE.encode()).hexdigest()[:16]
    assert mf.source_at_hash(tmp_path, "rules.py", first) == BEFORE
    assert mf.source_at_hash(tmp_path, "rules.py", "0" * 16) is None


STATUSES = {
    "m.x_a__mutmut_1": "killed",
    "m.x_a__mutmut_2": "survived",  # judged equivalent
    "m.x_a__mutmut_3": "survived",
    "m.x_a__mutmut_4": "timeout",
    "m.x_a__mutmut_5": "not checked",  # judged equivalent, never run
    "m.x_a__mutmut_6": "not checked",
}
EQUIVALENT = {"m.x_a__mutmut_2": "why", "m.x_a__mutmut_5": "why"}


def test_again_runs_survivors_timeouts_and_whatever_a_partial_run_did_not_reach():
    entry = {"statuses": STATUSES}
    assert mutation.to_run_again(entry, EQUIVALENT) == [
        "m.x_a__mutmut_3",
        "m.x_a__mutmut_4",
        "m.x_a__mutmut_5",
        "m.x_a__mutmut_6",
    ]


def test_a_partial_run_counts_only_what_it_judged():
    assert mutation_report.partial_counts({"statuses": STATUSES}, EQUIVALENT) == {
        "total": 6,
        "judged": 4,
        "killed": 2,
        "not_killed": 1,
        "equivalent": 1,
    }


def _finished_run(entry: dict) -> dict:
    """`entry` (module, statuses, diffs) with the rest of what a finished run records."""
    return entry | {
        "commit": "a" * 40,
        "date": "2026-12-01T00:00:00+00:00",
        "seconds": 1.0,
        "jobs": 2,
        "load_average_before": [0.0, 0.0, 0.0],
        "load_average_after": [0.0, 0.0, 0.0],
        "uncommitted_changes": False,
        "source_sha256": "0" * 16,
        "mutmut": "3",
        "counts": mutation.count(entry["statuses"]),
    }


def test_the_report_names_a_partial_run_beside_a_finished_one(monkeypatch):
    module = mutation_report.MODULES[0]
    statuses = {f"{mutation_report.dotted(module)}.x_a__mutmut_1": "killed"}
    entry = _finished_run({"module": module, "statuses": statuses, "diffs": {}})
    partial = {**entry, "commit": "b" * 40, "statuses": {"x": "not checked"}}
    monkeypatch.setattr(mutation_report, "read_equivalent", dict)
    text = mutation_report.render({"modules": {module: entry}, "partial": {module: partial}})
    assert (
        f"Partly run (newer than its finished run below): `{module}`: 0 of 1 mutants judged"
        f" (0 killed, 0 not killed and not judged equivalent, 0 judged equivalent), by the"
        f" run of commit {'b' * 12} started 2026-12-01T00:00:00+00:00" in text
    )


def test_a_partial_run_takes_in_an_again_and_a_second_save_of_one_run():
    first = {"started": "2026-12-01T00:00:00+00:00", "judged": 2}
    first["last_verdict"] = "2026-12-01T01:00:00+00:00"
    earlier = {
        "statuses": {
            "m.x_a__mutmut_1": "killed",
            "m.x_a__mutmut_2": "survived",
            "m.x_a__mutmut_3": "not checked",
        },
        "diffs": {"m.x_a__mutmut_2": "diff 2"},
        "runs": [first],
    }
    again = {"started": "2026-12-01T02:00:00+00:00", "judged": 1}
    again["last_verdict"] = "2026-12-01T02:30:00+00:00"
    fresh = {
        "statuses": {"m.x_a__mutmut_2": "killed", "m.x_a__mutmut_3": "not checked"},
        "diffs": {},
    }
    merged = mutation_partial.merge_partial(earlier, fresh, again)
    assert merged["statuses"] == {
        "m.x_a__mutmut_1": "killed",
        "m.x_a__mutmut_2": "killed",
        "m.x_a__mutmut_3": "not checked",
    }
    assert merged["diffs"] == {}  # killed now: its diff goes
    assert merged["seconds"] == 3600 + 1800

    # The same --again saved later: it replaces its own run, not adds a third.
    later = {**again, "judged": 2, "last_verdict": "2026-12-01T03:00:00+00:00"}
    fresh = {"statuses": {"m.x_a__mutmut_3": "survived"}, "diffs": {"m.x_a__mutmut_3": "diff 3"}}
    merged = mutation_partial.merge_partial(merged, fresh, later)
    assert [r["judged"] for r in merged["runs"]] == [2, 2]
    assert merged["seconds"] == 3600 + 3600
    assert merged["diffs"] == {"m.x_a__mutmut_3": "diff 3"}
    assert merged["counts"]["survived"] == 1 and merged["counts"]["not_checked"] == 0
    assert merged["note"].endswith(
        "the run started 2026-12-01T02:00:00+00:00 judged 2 mutants by its last verdict at"
        " 2026-12-01T03:00:00+00:00"
    )


def test_a_mutants_own_module_tests_run_first_in_mutmuts_order():
    import mutation_mutmut

    tests = [
        "tests/test_reports.py::test_batch",
        "tests/test_signoffs.py::test_sign_off",
        "tests/web/test_mentees.py::test_page",
        "tests/test_signoff_details.py::test_limit",
    ]
    mutant = "skills.services.signoffs.x_record_signoff__mutmut_5"
    assert mutation_mutmut.own_tests_first(mutant, tests) == [
        "tests/test_signoffs.py::test_sign_off",
        "tests/test_signoff_details.py::test_limit",
        "tests/test_reports.py::test_batch",
        "tests/web/test_mentees.py::test_page",
    ]
    method = "skills.services.counters.xǁ_Incrementǁ__call____mutmut_5"
    other, own = "tests/a.py::t", "tests/test_counters.py::t"
    assert mutation_mutmut.own_tests_first(method, [other, own]) == [own, other]
    # The clean run (no mutant) keeps mutmut's order.
    assert mutation_mutmut.own_tests_first(None, tests) == tests


def test_the_mutmut_bootstrap_starts_with_its_test_order():
    import mutation_mutmut

    root = mutation_report.ROOT  # mutmut reads setup.cfg; --help writes nothing
    done = mutation_mutmut.mutmut(["skills/permissions.py"], "--help", capture=True, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Usage: mutmut" in done.stdout


def _diff(line: str, change: str, at: int = 3) -> str:
    return (
        f"--- m.py\n+++ m.py\n@@ -{at},3 +{at},3 @@\n def a():\n-    {line}\n+    {change}\n"
        "     return x\n"
    )


def test_a_fingerprint_is_the_change_not_where_it_is():
    moved = _diff("x = f(1)", "x = f(2)", at=40).replace(" def a():", " def a(): # moved")
    assert mutation_report.fingerprint(_diff("x = f(1)", "x = f(2)")) == (
        mutation_report.fingerprint(moved)
    )
    assert mutation_report.fingerprint(_diff("x = f(1)", "x = f(2)")) != (
        mutation_report.fingerprint(_diff("x = f(1)", "x = f(None)"))
    )


def test_a_judged_name_that_now_names_another_change_counts_as_not_killed(monkeypatch, tmp_path):
    """mutmut numbers mutants within their function: after an edit, mutant 2 can be a
    change no one judged. Its old judgement must not hide it."""
    module = mutation_report.MODULES[0]
    name = f"{mutation_report.dotted(module)}.x_a__mutmut_"
    judged = mutation_report.fingerprint(_diff("x = f(1)", "x = f(2)"))
    equivalent = tmp_path / "equivalent.txt"
    equivalent.write_text(
        f"# comment\n{name}1 [{judged}] f(2) is f(1)\n{name}2 [{judged}] f(2) is f(1)\n"
        f"{name}3 no fingerprint: taken as judged\n"
    )
    monkeypatch.setattr(mutation_report, "EQUIVALENT", equivalent)
    entry = {
        "module": module,
        "statuses": {f"{name}{n}": "survived" for n in (1, 2, 3)},
        "diffs": {
            f"{name}1": _diff("x = f(1)", "x = f(2)", at=9),  # the same change, moved
            f"{name}2": _diff("x = f(1)", "x = f(None)"),  # renumbered: another change
            f"{name}3": _diff("x = f(1)", "x = f(0)"),
        },
    }
    assert mutation_report.changed_since_judged(entry) == {f"{name}2"}
    scored = mutation_report.score(entry, mutation_report.read_equivalent())
    assert scored["equivalent"] == [f"{name}1", f"{name}3"]
    assert scored["not_killed"] == [f"{name}2"]
    assert mutation.to_run_again(entry, mutation_report.read_equivalent()) == [f"{name}2"]
    assert mutation_report.partial_counts(entry, mutation_report.read_equivalent()) == {
        "total": 3,
        "judged": 3,
        "killed": 0,
        "not_killed": 1,
        "equivalent": 2,
    }
    text = mutation_report.render({"modules": {module: _finished_run(entry)}})
    assert f"- `{name}2` (now another change: counted as not killed): f(2) is f(1)" in text
