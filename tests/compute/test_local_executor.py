import threading
import time

import pytest

from brainmark.compute import Executor, LocalExecutor, SerialExecutor, default_executor


def _square(x: int) -> int:
    return x * x


def _slow_then_square(x: int) -> int:
    time.sleep(0.02 * (5 - x))  # later items finish first
    return x * x


@pytest.mark.parametrize("make", [SerialExecutor, lambda: LocalExecutor(2, "thread"), lambda: LocalExecutor(2, "process")])
def test_map_keeps_order(make):
    with make() as ex:
        assert isinstance(ex, Executor)
        assert ex.map(_slow_then_square, range(5)) == [0, 1, 4, 9, 16]


def test_submit_gather_and_errors():
    with LocalExecutor(2) as ex:
        jobs = [ex.submit(_square, 3), ex.submit(int, "x")]
        assert jobs[0].result() == 9
        with pytest.raises(ValueError):
            ex.gather(jobs)
    serial = SerialExecutor()
    job = serial.submit(int, "x")
    with pytest.raises(ValueError):
        job.result()


def test_threads_really_run_concurrently():
    barrier = threading.Barrier(2, timeout=5)
    with LocalExecutor(2, "thread") as ex:
        assert ex.map(lambda _: barrier.wait() >= 0, range(2)) == [True, True]


def test_bad_kind_and_default():
    with pytest.raises(ValueError, match="thread"):
        LocalExecutor(kind="gpu")
    assert isinstance(default_executor(1), SerialExecutor)
    assert isinstance(default_executor(2), LocalExecutor)
