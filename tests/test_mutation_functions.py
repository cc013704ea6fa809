"""bench/mutation_functions.py decides which mutants `bench/mutation.py --again` runs: a
function it wrongly calls unchanged keeps a stale verdict in the mutation report."""

import hashlib
import importlib.util
import subprocess
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "mutation_functions.py"
_spec = importlib.util.spec_from_file_location("mutation_functions", BENCH)
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)

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
