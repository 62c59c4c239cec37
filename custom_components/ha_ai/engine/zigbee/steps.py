"""Long work written as small steps, so that it can be run a time slice at a time.

A function that walks thousands of devices is written as a generator that yields
after each device and returns its result. Run to the end, it is an ordinary call.
Run a slice at a time, each slice in its own executor job, it lets Home
Assistant's event loop have the interpreter lock between slices: a thread that
computes without pause makes the loop wait a switch interval (5 ms) each time the
loop wants the lock back, and the loop wants it back after every system call it
makes, so one long job can hold the loop up for far longer than its slices would.
"""

from __future__ import annotations

import time
from collections.abc import Generator

type Steps[T] = Generator[None, None, T]


def run_to_end[T](steps: Steps[T]) -> T:
    """Run every step at once; return the result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


class Slices[T]:
    """Runs steps for a bounded time per call, from whichever thread calls."""

    def __init__(self, steps: Steps[T]) -> None:
        """Prepare to run `steps`; nothing runs before `run_for`."""
        self._steps = steps
        self._done = False
        self._result: T | None = None

    @property
    def result(self) -> T:
        """Return the result, once `run_for` has said the work is done."""
        if not self._done:
            raise RuntimeError("the work is not done yet")
        return self._result  # type: ignore[return-value]

    def run_for(self, seconds: float) -> bool:
        """Run at least one step, then more until `seconds` have passed.

        Return whether the work is done. A step that raises ends the work with
        that exception.
        """
        deadline = time.perf_counter() + seconds
        try:
            next(self._steps)
            while time.perf_counter() < deadline:
                next(self._steps)
        except StopIteration as done:
            self._result = done.value
            self._done = True
        return self._done
