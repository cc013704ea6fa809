"""The suite's clock in the processes the tests start (servers, `flask` commands).

tests/conftest.py puts this folder first on PYTHONPATH and the clock's distance from the
system clock in SKILLS_TEST_CLOCK_OFFSET, so a server's "today" is the tests' today."""

import os

_offset = os.environ.get("SKILLS_TEST_CLOCK_OFFSET")
if _offset:
    from datetime import UTC, datetime, timedelta

    from skills import timeutil

    _shift = timedelta(seconds=float(_offset))
    timeutil._clock = lambda: datetime.now(UTC) + _shift
