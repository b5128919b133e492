import pytest

from qnp_engine.kernel.scheduler import Scheduler


def test_time_order_and_fifo_tie_break():
    s = Scheduler()
    seen = []
    for t, tag in [(2.0, "c"), (1.0, "a"), (1.0, "b"), (0.5, "z")]:
        s.call_at(t, seen.append, tag)
    s.run_until(10)
    assert seen == ["z", "a", "b", "c"]
    assert s.events == 4
    assert s.now == 10


def test_cancel_is_lazy_and_skipped():
    s = Scheduler()
    seen = []
    t1 = s.call_at(1.0, seen.append, 1)
    s.call_at(2.0, seen.append, 2)
    s.cancel(t1)
    assert not s.active(t1)
    assert s.peek() == 2.0
    s.run_until(5)
    assert seen == [2]
    assert s.events == 1


def test_run_until_in_slices_and_events_scheduled_during_run():
    s = Scheduler()
    seen = []

    def tick(n):
        seen.append((s.now, n))
        if n < 5:
            s.call_after(1.0, tick, n + 1)

    s.call_at(0.0, tick, 0)
    s.run_until(2.5)
    assert [n for _, n in seen] == [0, 1, 2]
    assert s.now == 2.5
    s.run_until(10)
    assert [t for t, _ in seen] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_no_scheduling_in_the_past_and_stop_flag():
    s = Scheduler()
    s.run_until(1.0)
    with pytest.raises(ValueError):
        s.call_at(0.5, print)
    seen = []
    s.call_at(2.0, lambda: setattr(s, "stopped", True))
    s.call_at(3.0, seen.append, 3)
    s.run_until(10)
    assert seen == [] and s.now == 2.0


def test_same_seed_same_random_stream():
    assert Scheduler(5).rng.random() == Scheduler(5).rng.random()
    assert Scheduler(5).rng.random() != Scheduler(6).rng.random()
