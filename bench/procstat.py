"""What the machine and its processes are doing: load average and CPU time from /proc.

CPU time comes from /proc/PID/schedstat (nanoseconds on a CPU, exact), so short
requests can be added up without the 10 ms granularity of /proc/PID/stat. The machine
is shared: the load average is recorded beside every figure, and CPU time per request
is the figure other work disturbs least.
"""

import os
import time
from pathlib import Path

SPEED_STEPS = 2_000_000


def load() -> list[float]:
    """The 1-, 5- and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def speed_ms() -> float:
    """CPU milliseconds this process takes for a fixed pure-Python loop: how fast the
    machine runs Python right now. On a shared host that swings and neither the load
    nor steal time shows it (one afternoon here, 0.24 to 0.74 s for five times as many
    steps), and CPU times per request swing with it."""
    started = time.process_time()
    total = 0
    for step in range(SPEED_STEPS):
        total += step
    return round((time.process_time() - started) * 1000, 1)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by `pids` (threads included); a process gone counts 0."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class PostgresBackends:
    """The server processes serving one PostgreSQL database on this machine, for their CPU
    time. Found through pg_stat_activity over a connection of our own, left out of the sum.
    None of this applies to SQLite, whose work is in the app's own process."""

    def __init__(self, url: str) -> None:
        from data import _connect
        from sqlalchemy.engine import make_url

        self.database = make_url(url).database
        self.conn = _connect(url)
        self.own = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def pids(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            (self.database, self.own),
        )
        return [pid for (pid,) in rows]

    def close(self) -> None:
        self.conn.close()


def backends(url: str) -> PostgresBackends | None:
    return PostgresBackends(url) if url.startswith("postgresql") else None
