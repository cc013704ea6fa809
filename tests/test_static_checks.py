"""Static security check: bandit finds nothing of medium or high severity in skills/."""

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
