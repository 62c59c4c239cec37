"""Tens of thousands of unused capabilities: only what can count is drafted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.findings import (
    FINDINGS_PER_STEP,
    capability_draft_steps,
    capability_drafts,
    draft_from_capability,
)
from custom_components.ha_ai.engine.suggestions.model import (
    SuggestionDraft,
    SuggestionStatus,
    order_key,
)
from custom_components.ha_ai.engine.zigbee.judge import UnusedCapability
from custom_components.ha_ai.engine.zigbee.steps import Slices

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
WEEK = timedelta(days=7)
TEMPLATE = UnusedCapability(
    opportunity_id="",
    ieee_address="",
    friendly_name="Device",
    device_model="Aqara WSDCGQ11LM",
    area=None,
    capability_key="temperature",
    property_name="temperature",
    feature_kind="temperature",
    reason="not_referenced",
    entity_id=None,
    title="Your Aqara WSDCGQ11LM can measure temperature",
    description="Nothing uses it yet.",
    how_to_start="Add an automation.",
    gain=3,
    ease=3,
    score=3.0,
)


def finding(number: int, score: float) -> UnusedCapability:
    ieee = f"0x{0x00158D0000000000 + number:016x}"
    return replace(
        TEMPLATE,
        opportunity_id=f"{ieee}/temperature",
        ieee_address=ieee,
        friendly_name=f"Device {number}",
        score=score,
    )


def house(count: int) -> list[UnusedCapability]:
    """Return `count` findings over a few distinct scores (many ties), best first."""
    findings = [finding(number, float(number % 7)) for number in range(count)]
    return sorted(findings, key=lambda item: -item.score)


def best(drafts: list[SuggestionDraft], count: int) -> list[str]:
    return [draft.suggestion_id for draft in sorted(drafts, key=order_key)[:count]]


def test_a_twenty_thousand_device_house_drafts_only_the_best_max_kept() -> None:
    findings = house(20_000)
    everything = [draft_from_capability(item) for item in findings]

    drafts = capability_drafts(findings, known=(), dismissed=(), max_new=50)

    assert len(drafts) == 50
    assert [draft.suggestion_id for draft in drafts] == best(everything, 50)


def test_known_ids_are_always_drafted_and_dismissed_ones_never() -> None:
    findings = house(3_000)
    everything = {
        draft.suggestion_id: draft for draft in map(draft_from_capability, findings)
    }
    ranked = best(list(everything.values()), len(everything))
    worst, dismissed = ranked[-1], ranked[0]

    drafts = capability_drafts(
        findings, known={worst, dismissed}, dismissed={dismissed}, max_new=10
    )

    ids = [draft.suggestion_id for draft in drafts]
    assert ids[0] == worst  # refreshed however it ranks
    assert dismissed not in ids  # the book would skip it anyway
    assert ids[1:] == ranked[1:11]  # the best ten others, after the dismissed one


def test_nothing_new_is_drafted_when_no_place_is_free() -> None:
    assert capability_drafts(house(500), known=(), dismissed=(), max_new=0) == []


def test_the_drafting_pauses_between_small_steps() -> None:
    """Each step is short, so a slice of a few milliseconds can end between two."""
    count = FINDINGS_PER_STEP * 10
    steps = capability_draft_steps(house(count), known=(), dismissed=(), max_new=50)
    slices = Slices(steps)
    pauses = 0
    while not slices.run_for(0):
        pauses += 1
    assert pauses >= 10
    assert len(slices.result) == 50


def a_book(
    findings: list[UnusedCapability], statuses: list[SuggestionStatus | None]
) -> SuggestionBook:
    """Return a book holding some of the findings already, in the given statuses."""
    book = SuggestionBook()
    drafts = [draft_from_capability(item) for item in findings]
    book.merge(drafts, NOW - WEEK * 2, max_kept=len(drafts) + 1, expire_after=WEEK)
    for draft, status in zip(drafts, statuses, strict=False):
        if status is None or status == SuggestionStatus.NEW:
            continue
        if status in {SuggestionStatus.DEPLOYED, SuggestionStatus.FAILED}:
            book.set_status(draft.suggestion_id, SuggestionStatus.ACCEPTED, NOW)
        book.set_status(draft.suggestion_id, status, NOW)
    for draft, status in zip(drafts, statuses, strict=False):
        if status is None:
            book.set_status(draft.suggestion_id, SuggestionStatus.DISMISSED, NOW)
    return book


def state(book: SuggestionBook) -> list[tuple[str, SuggestionStatus, datetime]]:
    return [(s.suggestion_id, s.status, s.last_seen) for s in book.query()]


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(0, 6), min_size=0, max_size=120),
    held=st.lists(
        st.sampled_from(
            [
                SuggestionStatus.NEW,
                SuggestionStatus.ACCEPTED,
                SuggestionStatus.FAILED,
                SuggestionStatus.DEPLOYED,
                None,  # dismissed
            ]
        ),
        max_size=20,
    ),
    max_kept=st.integers(0, 30),
    seen_again=st.integers(0, 120),
)
def test_drafting_only_what_can_count_leaves_the_same_book(
    scores: list[int],
    held: list[SuggestionStatus | None],
    max_kept: int,
    seen_again: int,
) -> None:
    """Whatever the book holds, the bounded drafts merge into the same book."""
    earlier = [finding(number, score) for number, score in enumerate(scores[:20])]
    current = [finding(number, float(score)) for number, score in enumerate(scores)][
        : max(seen_again, len(earlier) // 2)
    ]
    complete = a_book(earlier, held)
    bounded = a_book(earlier, held)

    everything = [draft_from_capability(item) for item in current]
    chosen = capability_drafts(
        current,
        known={s.suggestion_id for s in bounded.query()},
        dismissed=set(bounded.dismissed_ids),
        max_new=max_kept,
    )
    one = complete.merge(everything, NOW, max_kept=max_kept, expire_after=WEEK)
    other = bounded.merge(chosen, NOW, max_kept=max_kept, expire_after=WEEK)

    assert len(chosen) <= max_kept + len(earlier)
    assert state(complete) == state(bounded)
    assert one == other
