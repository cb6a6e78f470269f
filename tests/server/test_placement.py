"""A short model call runs on the event loop, a long one in the thread pool."""

from __future__ import annotations

import asyncio
import threading
import time

from modelworks.server.placement import Placement


def where(seconds: float = 0.0) -> str:
    time.sleep(seconds)
    return threading.current_thread().name


def test_short_calls_run_on_the_loop_once_one_was_timed_and_long_ones_in_the_pool() -> None:
    placement = Placement(inline_seconds=0.005)

    async def calls() -> list[str]:
        loop_thread = threading.current_thread().name
        ran = [await placement.run([100], where)]  # nothing timed yet: the pool
        ran.append(await placement.run([100], where))  # timed as short: the loop
        # A body large enough that the same rate predicts over 5 ms: the pool.
        assert placement.seconds_per_kb is not None
        large = int(2 * 1024 * placement.inline_seconds / placement.seconds_per_kb)
        ran.append(await placement.run([large], where))
        return [name == loop_thread for name in ran]

    assert asyncio.run(calls()) == [False, True, False]


def test_a_call_that_turned_slow_moves_back_to_the_pool() -> None:
    placement = Placement(inline_seconds=0.005)

    async def calls() -> list[bool]:
        loop_thread = threading.current_thread().name
        await placement.run([10], where)
        inline = []
        for seconds in (0.0, 0.02, 0.02, 0.02, 0.02):
            inline.append(await placement.run([10], where, seconds) == loop_thread)
        return inline

    # The first slow calls still run inline (their time was not known); once half of the
    # recent calls were slow the median predicts over 5 ms and the next ones go to the pool.
    assert asyncio.run(calls())[:2] == [True, True]
    assert asyncio.run(calls())[-1] is False


def test_a_lone_stall_does_not_send_the_short_calls_after_it_to_the_pool() -> None:
    placement = Placement(inline_seconds=0.005)

    async def calls() -> list[bool]:
        loop_thread = threading.current_thread().name
        for _ in range(6):
            await placement.run([10], where)
        await placement.run([10], where, 0.05)  # the machine stalled through one call
        return [await placement.run([10], where) == loop_thread for _ in range(5)]

    assert asyncio.run(calls()) == [True] * 5


def test_a_batch_counts_each_request_as_at_least_a_kilobyte() -> None:
    placement = Placement(inline_seconds=0.001)
    placement.seconds_per_kb = 0.0001
    assert placement.inline([10] * 9)  # 9 kB predicted: 0.9 ms
    assert not placement.inline([10] * 11)  # 11 kB: 1.1 ms
    assert not placement.inline([11 * 1024])


def test_zero_keeps_every_call_in_the_pool() -> None:
    placement = Placement(inline_seconds=0.0)

    async def calls() -> set[bool]:
        loop_thread = threading.current_thread().name
        return {await placement.run([1], where) == loop_thread for _ in range(5)}

    assert asyncio.run(calls()) == {False}
