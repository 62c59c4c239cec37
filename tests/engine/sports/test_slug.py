"""Team slugs: readable, safe in a topic, stable, and never shared."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.ha_ai.engine.sports.slug import (
    MAX_SLUG_LENGTH,
    TeamIdentity,
    assign_slugs,
    base_slug,
    hashed_slug,
    is_team_slug,
    unique_slug,
)
from custom_components.ha_ai.engine.topics import slugify_segment


@pytest.mark.parametrize(
    ("team", "slug"),
    [
        (TeamIdentity("NFL", "SEA", "Seahawks"), "nfl_sea"),
        (TeamIdentity("MLB", "SEA", "Mariners"), "mlb_sea"),
        (TeamIdentity("NHL", "NYI", "Islanders"), "nhl_nyi"),
        (
            TeamIdentity("ATP", None, "M. Fucsovics / F. Marozsan"),
            "atp_m_fucsovics_f_marozsan",
        ),
        (TeamIdentity("LIGA", "ATM", "Atlético Madrid"), "liga_atm"),
        (TeamIdentity("LIGA", None, "Atlético Madrid"), "liga_atletico_madrid"),
        (TeamIdentity("XXX", "CLB", "Columbus", league_path="usa.1"), "usa_1_clb"),
        (TeamIdentity("XXX", "CLB", "Columbus"), "xxx_clb"),
        (TeamIdentity(None, "CLB", "Columbus"), "clb"),
        (TeamIdentity("NFL", "", ""), "nfl_team"),
        (TeamIdentity(), "team"),
    ],
)
def test_base_slugs_are_league_and_abbreviation(team: TeamIdentity, slug: str) -> None:
    assert base_slug(team) == slug


def test_a_name_with_nothing_in_ascii_gets_a_hash() -> None:
    slug = base_slug(TeamIdentity("KHL", None, "ЦСКА"))
    assert slug.startswith("khl_team_")
    assert len(slug) == len("khl_team_") + 8
    assert slug != base_slug(TeamIdentity("KHL", None, "\u0421\u041a\u0410"))


@pytest.mark.parametrize(
    "name",
    [
        "../#/+",
        "a/b",
        "+",
        "#",
        "\u202e",
        "x" * 10_000,
        "$SYS",
        "Ünïcødé ⚽ FC",
        "\ud800",
    ],
)
def test_hostile_names_give_safe_slugs(name: str) -> None:
    for team in (
        TeamIdentity(name, name, name),
        TeamIdentity("NFL", None, name),
        TeamIdentity(name, "SEA", None, league_path=name),
    ):
        slug = base_slug(team)
        assert is_team_slug(slug), slug
        assert slugify_segment(slug) == slug
        assert len(slug) <= MAX_SLUG_LENGTH


def test_a_long_league_does_not_push_out_the_team() -> None:
    slug = base_slug(TeamIdentity("L" * 100, "SEA", None))
    assert slug.endswith("_sea")
    assert len(slug) <= MAX_SLUG_LENGTH


def test_a_taken_slug_is_followed_by_a_hash_of_the_identity() -> None:
    assert unique_slug("nfl_sea", "sensor.a", set()) == "nfl_sea"
    other = unique_slug("nfl_sea", "sensor.b", {"nfl_sea"})
    assert other == hashed_slug("nfl_sea", "sensor.b")
    assert other.startswith("nfl_sea_")
    assert is_team_slug(other)
    longer = unique_slug("nfl_sea", "sensor.b", {"nfl_sea", other})
    assert longer == hashed_slug("nfl_sea", "sensor.b", 16)


def test_every_candidate_taken_raises() -> None:
    taken = {"nfl_sea"} | {hashed_slug("nfl_sea", "x", n) for n in (8, 16, 32)}
    with pytest.raises(ValueError, match="taken"):
        unique_slug("nfl_sea", "x", taken)


def test_a_long_base_with_its_hash_still_fits() -> None:
    base = "a" * MAX_SLUG_LENGTH
    for length in (8, 16, 32):
        slug = hashed_slug(base, "id", length)
        assert len(slug) <= MAX_SLUG_LENGTH
        assert is_team_slug(slug)


TEAMS = {
    "sensor.seahawks": TeamIdentity("NFL", "SEA", "Seahawks"),
    "sensor.seahawks_de": TeamIdentity("NFL", "SEA", "Seahawks"),
    "sensor.mariners": TeamIdentity("MLB", "SEA", "Mariners"),
    "sensor.custom_a": TeamIdentity("XXX", "BAY"),
    "sensor.custom_b": TeamIdentity("XXX", "BAY"),
}


def test_assigned_slugs_are_unique_and_readable_where_they_can_be() -> None:
    slugs = assign_slugs(TEAMS)
    assert len(set(slugs.values())) == len(TEAMS)
    assert slugs["sensor.seahawks"] == "nfl_sea"
    assert slugs["sensor.mariners"] == "mlb_sea"
    assert slugs["sensor.seahawks_de"] == hashed_slug("nfl_sea", "sensor.seahawks_de")
    assert slugs["sensor.custom_a"] == "xxx_bay"
    assert slugs["sensor.custom_b"].startswith("xxx_bay_")


def test_assignment_does_not_depend_on_the_order_teams_were_found() -> None:
    backwards = dict(reversed(list(TEAMS.items())))
    assert assign_slugs(backwards) == assign_slugs(TEAMS)


def test_held_slugs_stay_when_another_team_comes() -> None:
    held = {"sensor.seahawks_de": "nfl_sea"}  # found first, it took the plain slug
    slugs = assign_slugs(TEAMS, held)
    assert slugs["sensor.seahawks_de"] == "nfl_sea"
    assert slugs["sensor.seahawks"] == hashed_slug("nfl_sea", "sensor.seahawks")


def test_unsafe_or_doubled_held_slugs_are_given_again() -> None:
    held = {
        "sensor.seahawks": "nfl/sea",
        "sensor.mariners": "same",
        "sensor.custom_a": "same",
    }
    slugs = assign_slugs(TEAMS, held)
    assert slugs["sensor.seahawks"] == "nfl_sea"
    assert slugs["sensor.custom_a"] == "same"  # first by identity
    assert slugs["sensor.mariners"] == "mlb_sea"
    assert len(set(slugs.values())) == len(TEAMS)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("nfl_sea", True),
        ("a", True),
        ("_a", False),
        ("a_", False),
        ("a-b", False),
        ("A", False),
        ("", False),
        ("a" * 65, False),
        (None, False),
        (3, False),
    ],
)
def test_safe_slugs(value: object, safe: bool) -> None:
    assert is_team_slug(value) is safe


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.builds(
            TeamIdentity,
            st.one_of(
                st.none(), st.sampled_from(["NFL", "XXX", "MLB"]), st.text(max_size=8)
            ),
            st.one_of(st.none(), st.text(max_size=6)),
            st.one_of(st.none(), st.text(max_size=30)),
        ),
        max_size=12,
    )
)
def test_any_teams_get_safe_distinct_slugs(teams: dict[str, TeamIdentity]) -> None:
    slugs = assign_slugs(teams)
    assert set(slugs) == set(teams)
    assert len(set(slugs.values())) == len(teams)
    assert all(is_team_slug(slug) for slug in slugs.values())
    assert assign_slugs(teams, slugs) == slugs
