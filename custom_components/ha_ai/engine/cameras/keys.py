"""The key of an AI camera: one safe slug per camera id, never shared by two ids.

A camera's key names its device (`camera_<key>`) and is the start of its entities'
unique ids, so it must be a safe slug (`[a-z0-9_-]`, at most 64 characters, no
`/`, `+`, `#` or `..`), it must stay the same for a camera across restarts, and two
different ids must never get the same key: that would merge two cameras' counts
and entities.

An id gets the first of its candidate keys (`candidate_keys`) that no other id
holds:

1. A *plain* id, made only of Latin letters (accents allowed), digits, spaces and
   `. _ - :`, first asks for its readable slug, as every id did before keys could
   collide: `Front Door` → `front_door`, `garage` → `garage`. Cameras stored with
   such keys keep them.
2. Every id then has keys with a hash of the exact id: the slug of its
   transliteration (Cyrillic and Greek letters are written in Latin letters; what
   cannot be written, like `日本`, leaves `camera`), `_` and the first 8, then 16,
   then 32 hex digits of its SHA-256: `кухня` → `kukhnya_<8 hex digits>`,
   `../..` → `camera_<8 hex digits>`.

So an id that is not plain always carries its hash, and a plain id whose slug is
already taken (`front_door` after `Front Door`) falls back to its own hashed key.
`CameraKeys` hands the keys out and remembers which id holds which.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator

from ..topics import MAX_SEGMENT_LENGTH, slugify_segment

HASH_LENGTHS = (8, 16, 32)
FALLBACK_BASE = "camera"

SAFE_KEY = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
_PLAIN_SEPARATORS = frozenset(" ._-:")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# Letter and its Latin spelling, space-separated pairs (`ъ` and `ь` are dropped).
_TRANSLITERATION_PAIRS = (
    "аa бb вv гg дd еe ёe жzh зz иi йy кk лl мm нn оo пp рr сs тt уu фf хkh цts "  # noqa: RUF001
    "чch шsh щshch ъ ыy ь эe юyu яya єye іi їyi ґg ўu "  # noqa: RUF001
    "αa βv γg δd εe ζz ηi θth ιi κk λl μm νn ξx οo πp ρr σs ςs τt υy φf χch ψps ωo"  # noqa: RUF001
)
_TRANSLITERATION = {ord(pair[0]): pair[1:] for pair in _TRANSLITERATION_PAIRS.split()}


def is_camera_key(key: object) -> bool:
    """Tell whether `key` is a safe camera key (a slug fit for ids and topics)."""
    return isinstance(key, str) and SAFE_KEY.fullmatch(key) is not None


def _is_plain(camera_id: str) -> bool:
    """Tell whether an id is Latin letters, digits and a few separators only."""
    has_alnum = False
    for char in camera_id:
        if char in _PLAIN_SEPARATORS:
            continue
        base = unicodedata.normalize("NFKD", char)[:1]
        if not (base.isascii() and base.isalnum()):
            return False
        has_alnum = True
    return has_alnum


def readable_key(camera_id: str) -> str | None:
    """Return the readable slug of a plain id, or None for any other id."""
    if not _is_plain(camera_id):
        return None
    key = slugify_segment(camera_id)
    return key if is_camera_key(key) else None


def _transliterated_base(camera_id: str, limit: int) -> str:
    # Whole letters first (`й`), then their parts (`έ` is `ε` and an accent).
    text = unicodedata.normalize("NFKC", camera_id).lower().translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).translate(_TRANSLITERATION)
    ascii_text = text.encode("ascii", "ignore").decode("ascii")
    base = _NOT_ALNUM.sub("_", ascii_text).strip("_")[:limit].strip("_")
    return base or FALLBACK_BASE


def hashed_key(camera_id: str, hash_length: int = HASH_LENGTHS[0]) -> str:
    """Return the key of `camera_id` with `hash_length` hex digits of its hash.

    Any text is accepted (lone surrogates too); the result is always a safe key.
    """
    digest = hashlib.sha256(camera_id.encode("utf-8", "surrogatepass")).hexdigest()
    base = _transliterated_base(camera_id, MAX_SEGMENT_LENGTH - hash_length - 1)
    return f"{base}_{digest[:hash_length]}"


def candidate_keys(camera_id: str) -> Iterator[str]:
    """Yield the keys `camera_id` may take, the preferred one first."""
    if (readable := readable_key(camera_id)) is not None:
        yield readable
    for length in HASH_LENGTHS:
        yield hashed_key(camera_id, length)


def legacy_key(camera_id: str) -> str:
    """Return the key every id had before keys could collide (`unknown` for many).

    Only used to recognise the keys of cameras stored back then.
    """
    return slugify_segment(camera_id)


class KeyTakenError(Exception):
    """Every candidate key of an id is held by another id (never in practice)."""


class CameraKeys:
    """Which id holds which key; a key is never given to a second id."""

    def __init__(self) -> None:
        """Start with no keys handed out."""
        self._key_of: dict[str, str] = {}
        self._id_of: dict[str, str] = {}

    def __len__(self) -> int:
        """Return how many ids hold a key."""
        return len(self._key_of)

    def key_of(self, camera_id: str) -> str | None:
        """Return the key `camera_id` holds, or None."""
        return self._key_of.get(camera_id)

    def id_of(self, key: str) -> str | None:
        """Return the id holding `key`, or None."""
        return self._id_of.get(key)

    def propose(self, camera_id: str) -> tuple[str, str | None]:
        """Return the key `camera_id` would get, and the id holding its first choice.

        The second value is None unless the preferred key is held by another id,
        which makes this id take a hashed key instead: a collision worth a log line.
        Raises `KeyTakenError` when every candidate is held.
        """
        if (key := self._key_of.get(camera_id)) is not None:
            return key, None
        blocked_by: str | None = None
        for key in candidate_keys(camera_id):
            holder = self._id_of.get(key)
            if holder is None:
                return key, blocked_by
            if blocked_by is None:
                blocked_by = holder
        raise KeyTakenError(camera_id)

    def hold(self, camera_id: str, key: str) -> bool:
        """Give `key` to `camera_id`; False when either already holds another."""
        if not is_camera_key(key) or key in self._id_of or camera_id in self._key_of:
            return self._key_of.get(camera_id) == key
        self._key_of[camera_id] = key
        self._id_of[key] = camera_id
        return True

    def release(self, key: str) -> None:
        """Free `key` (its camera was forgotten)."""
        if (camera_id := self._id_of.pop(key, None)) is not None:
            self._key_of.pop(camera_id, None)
