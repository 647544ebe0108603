"""The fan-out helper: every target gets an outcome, in order, errors kept, the pool bounded."""

from __future__ import annotations

import threading

import pytest

from pytest_launch.probes.errors import ProbeError
from pytest_launch.probes.fanout import failures, fan_out


def test_outcomes_follow_the_input_order():
    outcomes = fan_out(lambda n: n * n, range(50), max_workers=8)
    assert [o.target for o in outcomes] == list(range(50))
    assert [o.result() for o in outcomes] == [n * n for n in range(50)]


def test_errors_are_kept_not_dropped():
    def probe(n: int) -> int:
        if n % 3 == 0:
            raise ProbeError(f"host{n}:443", "connection refused")
        return n

    outcomes = fan_out(probe, range(9), max_workers=4)
    assert [o.target for o in failures(outcomes)] == [0, 3, 6]
    assert str(outcomes[3].error) == "host3:443: connection refused"
    with pytest.raises(ProbeError, match="host6:443"):
        outcomes[6].result()
    assert outcomes[1].ok and outcomes[1].result() == 1


def test_the_pool_is_bounded_and_used():
    lock = threading.Lock()
    running = {"now": 0, "peak": 0}
    barrier = threading.Barrier(4, timeout=10)  # proves 4 run at once: it only opens with 4 waiting

    def probe(n: int) -> int:
        with lock:
            running["now"] += 1
            running["peak"] = max(running["peak"], running["now"])
        try:
            barrier.wait()
        finally:
            with lock:
                running["now"] -= 1
        return n

    outcomes = fan_out(probe, range(20), max_workers=4)
    assert all(o.ok for o in outcomes)
    assert running["peak"] == 4


def test_single_worker_and_empty_input():
    seen: list[str] = []
    fan_out(lambda n: seen.append(threading.current_thread().name), range(3), max_workers=1)
    assert seen == [threading.current_thread().name] * 3  # no pool for one worker
    assert fan_out(lambda n: n, [], max_workers=4) == []


def test_max_workers_must_be_positive():
    with pytest.raises(ValueError, match="max_workers must be at least 1"):
        fan_out(lambda n: n, [1], max_workers=0)
