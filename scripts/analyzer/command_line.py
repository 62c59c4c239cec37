"""The command line: flags, the checks of what was given, and the run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from .automations import load_automations
from .devices import build_report, load_devices, render_text
from .habits import habits_report, mine, render_habits
from .history import load_history
from .inputs import EXIT_INPUT_ERROR, STDIN, InputError


def time_zone(name: str) -> ZoneInfo:
    """Return the time zone named on the command line."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from err


def build_parser() -> argparse.ArgumentParser:
    """Return the command line: one flag per input, and output flags."""
    parser = argparse.ArgumentParser(
        prog="scripts/analyze",
        description="Analyze exported data offline with HA AI's engine.",
    )
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument(
        "--history",
        type=Path,
        action="append",
        metavar="FILE",
        help="state changes to mine for habits: a History panel CSV export"
        " (entity_id,state,last_changed) or JSON Lines; repeat for more files"
        " ('-' reads standard input)",
    )
    inputs.add_argument(
        "--automations",
        type=Path,
        metavar="FILE",
        help="an automations.yaml: patterns it already covers are marked automated",
    )
    inputs.add_argument(
        "--devices",
        type=Path,
        metavar="FILE",
        help="a Zigbee2MQTT bridge/devices JSON dump ('-' reads standard input)",
    )
    analysis = parser.add_argument_group("analysis")
    analysis.add_argument(
        "--all-domains",
        action="store_true",
        help="mine every domain, not only those the integration logs (lights,"
        " switches, covers, binary sensors, people...)",
    )
    analysis.add_argument(
        "--timezone",
        type=time_zone,
        default=ZoneInfo("UTC"),
        metavar="TZ",
        help="the house's time zone, for days and times of day (default: UTC)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    return parser


def check_inputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with a usage error when the inputs given cannot be analyzed together."""
    if args.automations is not None and not args.history:
        parser.error("--automations marks the patterns of a history: give --history")
    if not args.history and args.devices is None:
        parser.error("nothing to analyze: give --history FILE or --devices FILE")
    paths = [*(args.history or []), args.automations, args.devices]
    if sum(1 for path in paths if path is not None and str(path) == STDIN) > 1:
        parser.error("standard input ('-') can be read by one input only")


def analyze(args: argparse.Namespace) -> str:
    """Return the report of the inputs, as text or JSON; raise InputError."""
    device_list = load_devices(args.devices) if args.devices is not None else None
    automations = (
        load_automations(args.automations) if args.automations is not None else None
    )
    report: dict[str, Any] = {}
    if args.history:
        history = load_history(args.history, all_domains=args.all_domains)
        patterns = mine(history, args.timezone, automations)
        report.update(habits_report(history, patterns, automations, args.timezone))
    if device_list is not None:
        report.update(build_report(device_list))
    if args.json:
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n"
    parts = []
    if args.history:
        parts.append(render_habits(report))
    if device_list is not None:
        parts.append(render_text(report))
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analysis; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_inputs(parser, args)
    try:
        text = analyze(args)
    except InputError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) went away: not an error of the analysis. Point
        # stdout at /dev/null so that the flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
