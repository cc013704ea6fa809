"""The suite's own clock (tests/conftest.py): it reads 9 pm in the test organizations'
zone when the run starts, in this process and in every process the tests start."""

import os
import subprocess
import sys
from datetime import datetime, timedelta

from skills import timeutil
from skills.models.people import DEFAULT_TIME_ZONE

from .conftest import CLOCK_OFFSET, today


def test_the_suite_runs_in_the_evening_when_utc_is_already_tomorrow():
    local = timeutil.local_now(DEFAULT_TIME_ZONE)
    assert 21 <= local.hour <= 23, local  # a run crosses no midnight
    assert timeutil.utcnow().date() == today() + timedelta(days=1)
    assert timeutil.today() != today()  # UTC's date is not the organization's


def _clock_in_a_new_process(**env: str) -> datetime:
    printed = subprocess.run(
        [sys.executable, "-c", "from skills import timeutil; print(timeutil.utcnow().isoformat())"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return datetime.fromisoformat(printed.strip())


def test_a_process_the_tests_start_reads_the_same_clock():
    assert abs(_clock_in_a_new_process() - timeutil.utcnow()) < timedelta(minutes=1)
    # The shim moves the clock by what it is given, however far the system clock is.
    a_day_on = str((CLOCK_OFFSET + timedelta(days=1)).total_seconds())
    there = _clock_in_a_new_process(SKILLS_TEST_CLOCK_OFFSET=a_day_on)
    assert abs(there - timeutil.utcnow() - timedelta(days=1)) < timedelta(minutes=1)
