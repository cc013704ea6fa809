"""The benchmark's cells say how fast the machine ran: the load and the speed check
(a fixed Python loop's CPU time) beside each figure, and at each database's start and
end in docs/performance.md."""

import sys
from pathlib import Path

# The harness's modules import each other by name, as scripts in bench/ do.
BENCH = str(Path(__file__).resolve().parent.parent / "bench")
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import procstat  # noqa: E402
import run  # noqa: E402
import tables  # noqa: E402


def test_a_cell_gives_the_load_and_the_speed_check():
    assert tables._load({"load": [0.93, 1.0, 1.1], "speed_ms": 52.4}) == " · load 0.9, speed 52 ms"
    assert tables._load({"load": [2.0, 1.0, 1.1]}) == " · load 2.0"
    assert tables._load({}) == ""


def test_page_and_served_cells_give_the_speed_check_too():
    page = {"p50_ms": 4.2, "p99_ms": 7.4, "cpu_mean_ms": 4.1}
    assert tables.page_cell(page, [0.6, 1, 1], 61.0).endswith("ms · load 0.6, speed 61 ms")
    served = {
        "requests_per_second": 448,
        "p99_ms": 70,
        "cpu_ms_per_request": 3.6,
        "load": [[1.1, 1, 1], [1.3, 1, 1]],
        "speed_ms": [55.0, 70.0],
    }
    health = {"requests_per_second": 2000}
    assert tables.served_cell(served, health) == (
        "448/s (0.22× /health), p99 70 ms; cpu 3.6 ms · load 1.1, speed 55 ms"
    )


def test_each_measurement_records_the_speed_check_when_it_started(monkeypatch):
    checks = iter([41.5, 99.0])
    monkeypatch.setattr(procstat, "speed_ms", lambda: next(checks))
    result: dict = {}
    assert run.step(result, "pages", lambda: {"p50_ms": 3.0})
    assert result["pages"]["speed_ms"] == 41.5
    assert run.step(result, "served", lambda: {"rate": 400})
    assert result["served"]["speed_ms"] == 99.0


def test_the_speed_check_takes_longer_for_more_steps(monkeypatch):
    monkeypatch.setattr(procstat, "SPEED_STEPS", 200_000)
    short = min(procstat.speed_ms() for _ in range(3))
    monkeypatch.setattr(procstat, "SPEED_STEPS", 4_000_000)
    long = procstat.speed_ms()
    assert 0 < short < long


def test_the_document_gives_each_database_its_load_and_speed_at_start_and_end():
    results = {
        "sizes": {"mentees": 5000, "mentors": 100, "case_managers": 20, "months": 24},
        "when": "2026-12-03T15:00:00+00:00",
        "commit": "abc1234 (2026-12-03)",
        "python": "3.11.7",
        "cpus": 2,
        "caseloads": [500, 50],
        "sqlite": {"load_span": [[0.2, 0, 0], [2.3, 0, 0]], "speed_span": [48.0, 131.0]},
        "postgres": {"load_span": [[1.0, 0, 0], [1.5, 0, 0]]},
    }
    text = tables.document(results, [], "python bench/run.py --db both")
    assert "sqlite: 0.2 at the start, 2.3 at the end (speed check 48 ms, then 131 ms)" in text
    assert "postgres: 1.0 at the start, 1.5 at the end." in text
