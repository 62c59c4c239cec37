"""Long work run to the end, or a time slice at a time."""

from __future__ import annotations

import pytest

from custom_components.ha_ai.engine.zigbee.steps import Slices, Steps, run_to_end


def count_to(limit: int, seen: list[int]) -> Steps[int]:
    for number in range(limit):
        seen.append(number)
        yield
    return sum(seen)


def test_run_to_end_returns_the_result() -> None:
    seen: list[int] = []
    assert run_to_end(count_to(4, seen)) == 6
    assert seen == [0, 1, 2, 3]


def test_slices_run_one_step_at_least_and_keep_the_result() -> None:
    seen: list[int] = []
    slices = Slices(count_to(3, seen))
    with pytest.raises(RuntimeError):
        _ = slices.result
    assert not slices.run_for(0)
    assert seen == [0]
    assert not slices.run_for(0)
    assert not slices.run_for(0)
    assert seen == [0, 1, 2]
    # The step that ends the work has nothing more to yield.
    assert slices.run_for(0)
    assert slices.result == 3


def test_a_long_slice_runs_everything() -> None:
    slices = Slices(count_to(1000, []))
    assert slices.run_for(60)
    assert slices.result == sum(range(1000))


def test_a_failing_step_ends_the_work_with_its_error() -> None:
    def failing() -> Steps[None]:
        yield
        raise ValueError("broken")

    slices = Slices(failing())
    assert not slices.run_for(0)
    with pytest.raises(ValueError, match="broken"):
        slices.run_for(0)
