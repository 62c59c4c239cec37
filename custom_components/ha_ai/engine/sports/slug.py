"""The `<team>` segment of a team's topics: stable, safe, never shared by two teams.

A team's moments go to `<prefix>/events/sports/<team>/<moment>`. The segment is
the league and the team's abbreviation (`nfl_sea`, `mlb_sea`): an abbreviation is
unique within a league only, and Seattle has a team called `SEA` in four of them.
Without an abbreviation (a doubles pair in tennis), the team's name stands in
(`atp_m_fucsovics_f_marozsan`). For a custom league (TeamTracker's league `XXX`)
the league's path names it instead (`usa_1`).

A slug is lower-case ASCII, `[a-z0-9_]`, at most `MAX_SLUG_LENGTH` characters,
and starts and ends with a letter or digit, so it is the same after
`topics.slugify_segment` and never holds `/`, `+` or `#`. Accents are folded
(`Atlético` → `atletico`); a name with nothing left in ASCII (`ЦСКА`) becomes
`team_` and a hash of the name.

Two sensors can still ask for the same slug: two sensors of one team, two custom
leagues both called `XXX`, names that fold to the same ASCII. `assign_slugs` then
gives the first (by identity, usually the entity id) the plain slug and the others
the slug with a hash of their identity, and keeps every slug already held, so a
team's topic never moves when another team is added.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final, TypeGuard

from ..topics import MAX_SEGMENT_LENGTH

MAX_SLUG_LENGTH: Final = MAX_SEGMENT_LENGTH
CUSTOM_LEAGUE: Final = "xxx"
FALLBACK_TEAM: Final = "team"
HASH_LENGTHS: Final = (8, 16, 32)

SAFE_SLUG: Final = re.compile(r"[a-z0-9](?:[a-z0-9_]{0,62}[a-z0-9])?")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class TeamIdentity:
    """What names a team in a slug: its league and abbreviation, or its name."""

    league: str | None = None
    abbr: str | None = None
    name: str | None = None
    league_path: str | None = None


def is_team_slug(value: object) -> TypeGuard[str]:
    """Tell whether `value` is a safe team slug (fit for a topic segment)."""
    return isinstance(value, str) and SAFE_SLUG.fullmatch(value) is not None


def _ascii_part(text: str | None) -> str:
    """Return `text` folded to `[a-z0-9_]`, or "" when nothing is left."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text[: MAX_SLUG_LENGTH * 4])
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_ALNUM.sub("_", ascii_text).strip("_")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _league_part(team: TeamIdentity) -> str:
    league = _ascii_part(team.league)
    if league in ("", CUSTOM_LEAGUE):
        path = _ascii_part(team.league_path)
        return path or league
    return league


def _team_part(team: TeamIdentity) -> str:
    for text in (team.abbr, team.name):
        part = _ascii_part(text)
        if part:
            return part
    original = team.abbr or team.name
    if original:
        return f"{FALLBACK_TEAM}_{_digest(original)[: HASH_LENGTHS[0]]}"
    return FALLBACK_TEAM


def _fit(slug: str, limit: int) -> str:
    return slug[:limit].strip("_") or FALLBACK_TEAM


def base_slug(team: TeamIdentity) -> str:
    """Return the slug a team asks for: league and abbreviation (or name)."""
    league = _league_part(team)
    team_part = _team_part(team)
    if not league:
        return _fit(team_part, MAX_SLUG_LENGTH)
    league = _fit(league, MAX_SLUG_LENGTH // 4)
    return _fit(f"{league}_{team_part}", MAX_SLUG_LENGTH)


def hashed_slug(base: str, identity: str, hash_length: int = HASH_LENGTHS[0]) -> str:
    """Return `base` ended with `hash_length` hex digits of `identity`'s hash."""
    head = _fit(base, MAX_SLUG_LENGTH - hash_length - 1)
    return f"{head}_{_digest(identity)[:hash_length]}"


def unique_slug(base: str, identity: str, taken: Collection[str]) -> str:
    """Return `base`, or when another team holds it, `base` with `identity`'s hash.

    Raises `ValueError` in the (never seen) case that every candidate is taken.
    """
    if base not in taken:
        return base
    for length in HASH_LENGTHS:
        candidate = hashed_slug(base, identity, length)
        if candidate not in taken:
            return candidate
    raise ValueError(f"every slug of {identity!r} is taken")


def assign_slugs(
    teams: Mapping[str, TeamIdentity], held: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return a slug for every team of `teams` (keyed by identity), none shared.

    A team keeps the slug it holds in `held` when that slug is safe and no other
    team held it first; the others are given theirs in the order of their
    identities, so the result depends on the teams and not on the order they
    were found in.
    """
    assigned: dict[str, str] = {}
    taken: set[str] = set()
    for identity in sorted(teams):
        slug = None if held is None else held.get(identity)
        if is_team_slug(slug) and slug not in taken:
            assigned[identity] = slug
            taken.add(slug)
    for identity in sorted(teams):
        if identity in assigned:
            continue
        slug = unique_slug(base_slug(teams[identity]), identity, taken)
        assigned[identity] = slug
        taken.add(slug)
    return assigned
