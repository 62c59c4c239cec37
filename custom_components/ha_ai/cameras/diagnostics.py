"""The AI camera part of the diagnostics download: what each camera last did.

Cameras are listed by their key (the slug in their device and entity ids) with
their real id and name. `new_cameras` says how fast new cameras may appear, how
many had to wait and how many ids that slug like a known camera's were kept apart.

Thumbnail links often carry an access token in their query string (or a login in
their address), so only the scheme, host and path of a link are shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeassistant.util import dt as dt_util

from ..engine.cameras.counters import Camera
from .tracker import CameraTracker

REDACTED = "**REDACTED**"


def redact_url(url: str | None) -> str | None:
    """Return `url` without its login, query string and fragment."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username is not None or parts.password is not None:
        host = f"{REDACTED}@{host}"
    return urlunsplit(
        (
            parts.scheme,
            host,
            parts.path,
            REDACTED if parts.query else "",
            REDACTED if parts.fragment else "",
        )
    )


def _camera_summary(camera: Camera, tracker: CameraTracker) -> dict[str, Any]:
    now = dt_util.utcnow()
    today, week = camera.activity.counts(now, dt_util.get_default_time_zone())
    event = camera.activity.last_event
    active_from = camera.activity.active_from
    return {
        "camera_id": camera.camera_id,
        "camera_name": camera.camera_name,
        "status": camera.status.status.value if camera.status else None,
        "last_seen": camera.last_seen.isoformat(),
        "last_event": (
            {
                "event_id": event.event_id,
                "timestamp": event.timestamp.isoformat(),
                "objects": list(event.objects),
                "confidence": event.confidence,
                "doorbell": event.is_doorbell_ring,
                "thumbnail_url": redact_url(event.thumbnail_url),
            }
            if event is not None
            else None
        ),
        "events_today": today,
        "events_this_week": week,
        "recent_activity": camera.activity.active(now, tracker.settings.quiet),
        "active_from": active_from.isoformat() if active_from else None,
    }


def camera_diagnostics(tracker: CameraTracker) -> dict[str, Any]:
    """Return the classifier's availability and a summary of every camera."""
    settings = tracker.settings
    return {
        "classifier_online": tracker.classifier_online,
        "topic_prefix": settings.topic_prefix,
        "quiet_seconds": settings.quiet.total_seconds(),
        "forget_after_days": settings.forget_after_days,
        "count": len(tracker.cameras),
        "new_cameras": {
            "burst": tracker.new_camera_limit.burst,
            "per_minute": tracker.new_camera_limit.per_minute,
            "messages_waited": tracker.waiting.messages_total,
            "cameras_waited": tracker.waiting.cameras_total,
            "kept_apart": tracker.kept_apart,
        },
        "cameras": {
            camera.camera_slug: _camera_summary(camera, tracker) for camera in tracker
        },
    }
