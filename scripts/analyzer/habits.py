"""Habits mined from the history, and the report about them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.ha_ai.engine.habits.mining import mine_habits
from custom_components.ha_ai.engine.habits.model import (
    MiningSettings,
    Pattern,
)
from custom_components.ha_ai.engine.habits.serialize import pattern_summary

from .automations import Automations, automations_data, render_automations
from .history import History
from .history_rows import FORMAT_NAMES, HistoryFile
from .text import clean, label, plural, table_lines


def mine(
    history: History, timezone: ZoneInfo, automations: Automations | None
) -> list[Pattern]:
    """Return the habits in the history, as the integration would find them.

    The analysis ends at the history's last change rather than now, so an old
    export gives what its own days show.
    """
    table = history.table
    if len(table) == 0:
        return []
    return mine_habits(
        table,
        timezone=timezone,
        end=datetime.fromtimestamp(int(table.when.max()) + 1, UTC),
        settings=MiningSettings(),
        coverage=automations.coverage() if automations is not None else None,
    )


def local_time(seconds: int, timezone: ZoneInfo) -> str:
    """Return a time as local ISO 8601, to the second."""
    return datetime.fromtimestamp(seconds, timezone).isoformat()


def file_problem(file: HistoryFile) -> str | None:
    """Return what went wrong with a history file, if anything."""
    if file.rows == 0:
        return f"{label(file.name)}: no rows"
    if not file.bad_rows:
        return None
    lines = ", ".join(map(str, file.bad_lines))
    if file.bad_rows > len(file.bad_lines):
        lines += ", …"
    why = ", ".join(f"{text} ({count})" for text, count in file.reasons.most_common())
    where = "lines" if file.bad_rows > 1 else "line"
    return (
        f"{label(file.name)}: {plural(file.bad_rows, 'bad row')} skipped"
        f" ({where} {lines}): {why}"
    )


def history_data(history: History, timezone: ZoneInfo) -> dict[str, Any]:
    """Return what the report says about the history that was read."""
    table = history.table
    problems = [text for file in history.files if (text := file_problem(file))]
    if len(table) and not history.origins["manual"]:
        problems.append("no change was made by hand: there is nothing to learn from")
    return {
        "files": [
            {
                "file": file.name,
                "format": file.format,
                "rows": file.rows,
                "bad_rows": file.bad_rows,
                "bad_lines": file.bad_lines,
                "bad_reasons": dict(file.reasons.most_common()),
            }
            for file in history.files
        ],
        "rows": sum(file.rows for file in history.files),
        "bad_rows": sum(file.bad_rows for file in history.files),
        "ignored_rows": history.ignored.total(),
        "ignored_domains": dict(sorted(history.ignored.items())),
        "changes": len(table),
        "repeated_states": history.repeated,
        **history.origins,
        "entities": len(table.entity_ids),
        "first_change": local_time(int(table.when[0]), timezone)
        if len(table)
        else None,
        "last_change": local_time(int(table.when[-1]), timezone)
        if len(table)
        else None,
        "problems": problems,
    }


def habits_report(
    history: History,
    patterns: list[Pattern],
    automations: Automations | None,
    timezone: ZoneInfo,
) -> dict[str, Any]:
    """Return the habits part of the report as JSON-ready data."""
    report: dict[str, Any] = {
        "timezone": timezone.key,
        "patterns": [pattern_summary(pattern) for pattern in patterns],
        "history": history_data(history, timezone),
    }
    if automations is not None:
        report["automations"] = automations_data(automations)
    return report


def render_history(history: Mapping[str, Any], timezone: str) -> list[str]:
    """Return the lines about the history files that were read."""
    files = history["files"]
    lines = [
        f"History: {plural(len(files), 'file')}, {plural(history['rows'], 'row')}"
        f" ({history['bad_rows']} bad), {plural(history['changes'], 'change')}"
        f" of {plural(history['entities'], 'entity', 'entities')}:"
        f" {history['manual']} by hand, {history['automated']} automated,"
        f" {history['system']} by the system"
    ]
    if history["first_change"] is not None:
        first = history["first_change"][:16].replace("T", " ")
        last = history["last_change"][:16].replace("T", " ")
        lines.append(f"  from {first} to {last} ({clean(timezone)})")
    if history["ignored_rows"]:
        domains = ", ".join(map(clean, history["ignored_domains"]))
        lines.append(
            f"  {plural(history['ignored_rows'], 'row')} of domains the integration"
            f" does not mine left out ({domains}; --all-domains keeps them)"
        )
    lines.extend(
        f"  {clean(label(file['file']))} ({FORMAT_NAMES[file['format']]}):"
        f" {plural(file['rows'], 'row')}, {file['bad_rows']} bad"
        for file in files
    )
    return lines


def pattern_marks(pattern: Mapping[str, Any]) -> str:
    """Return what a reader must know beside the figures of a pattern.

    `automated`: an automation already covers it; `forming`: real but young, not
    proposed yet; `reverse only`: B nearly always comes after A, but A alone is a
    poor trigger for B.
    """
    marks = []
    if pattern["automated"]:
        marks.append("automated")
    if pattern.get("level") == "forming":
        marks.append("forming")
    if pattern.get("reverse_only"):
        marks.append("reverse only")
    return ", ".join(marks)


def render_patterns(patterns: list[Mapping[str, Any]]) -> list[str]:
    """Return the lines about the routines and the pairs that were found."""
    routines = [p for p in patterns if p["pattern_type"] == "time_of_day"]
    pairs = [p for p in patterns if p["pattern_type"] == "used_together"]
    lines = ["", f"Routines ({len(routines)}):"]
    if not routines:
        lines.append("  none found")
    lines.extend(
        table_lines(
            [
                [
                    p["time"],
                    p["day_class"],
                    f"{clean(p['entity_id'])} → {clean(p['state'])}",
                    f"{p['support_days']}/{p['observed_days']} days",
                    f"confidence {p['confidence']:.2f}",
                    f"window {p['window_minutes']} min",
                    pattern_marks(p),
                ]
                for p in sorted(routines, key=lambda p: (p["time"], p["entity_id"]))
            ]
        )
    )
    lines.extend(["", f"Used together ({len(pairs)}):"])
    if not pairs:
        lines.append("  none found")
    lines.extend(
        table_lines(
            [
                [
                    f"{clean(p['trigger_entity_id'])} → {clean(p['trigger_state'])}",
                    f"then {clean(p['entity_id'])} → {clean(p['state'])}",
                    plural(p["count"], "time"),
                    f"confidence {p['confidence']:.2f}",
                    f"lift {p['lift']:.1f}",
                    f"median delay {p['median_delay_seconds']:.0f} s",
                    pattern_marks(p),
                ]
                for p in pairs
            ]
        )
    )
    return lines


def render_habits(report: Mapping[str, Any]) -> str:
    """Return the habits part of the report as text for people."""
    lines = render_history(report["history"], report["timezone"])
    problems = list(report["history"]["problems"])
    if "automations" in report:
        lines.extend(render_automations(report["automations"]))
        problems.extend(report["automations"]["problems"])
    lines.extend(render_patterns(report["patterns"]))
    if problems:
        lines.extend(["", f"Problems ({len(problems)}):"])
        lines.extend(f"  - {clean(problem)}" for problem in problems)
    return "\n".join(lines) + "\n"
