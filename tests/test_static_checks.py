"""Static checks: bandit finds nothing of medium or high severity in skills/, vulture no
dead code in skills/ or tests/."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_reports_no_medium_or_high_finding():
    # bandit is in the test extra; a missing install fails here rather than skipping.
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "skills", "-ll"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_vulture_finds_no_dead_code():
    """A helper defined and never called fails here (config: pyproject.toml [tool.vulture];
    names only templates or libraries use are listed in .ci/vulture_allowlist.py)."""
    result = subprocess.run(
        [sys.executable, "-m", "vulture"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
