"""Who made a state change: a person, an automation or script, or the system.

Home Assistant marks an automation's doing only through contexts, and not fully:

- An automation's run gets a context whose parent is its trigger's context. Time,
  time-pattern, sun, calendar, start, webhook and MQTT triggers have no context,
  so the run's context has no parent and its changes look like a person's. What
  they do share is one context id: the `automation_triggered` (or
  `script_started`) event, the service calls and the resulting state changes.
  The logbook joins them on that id; so does `OriginTracker`, by remembering the
  context ids of recent runs.
- An entity keeps a command's context for five seconds only
  (`CONTEXT_RECENT_TIME_SECONDS`): a device that reports back later writes its
  state with a fresh context. So each service call made by an automation or a
  script is remembered for a while as a pending command (entity and the states
  it asks for), and a fresh-context change to one of those states is credited
  to the command, once.

Everything here is pure: events are fed in time order with their timestamps, by
the live log and by the recorder's back-fill alike, so both label alike.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Origin, classify_origin

# How long a run's context id is remembered after it was last seen (its trigger
# event or one of its service calls): automations that wait or delay for long
# still act under it.
RUN_MEMORY_SECONDS = 3 * 3600.0
MAX_RUNS = 10_000
# How long a command waits for the device's report (slow meshes, sleepy devices,
# long transitions).
ECHO_SECONDS = 30.0
MAX_COMMANDS = 10_000

ON_OFF_DOMAINS = frozenset(
    {"light", "switch", "fan", "input_boolean", "siren", "humidifier", "remote"}
)
OPENING = frozenset({"opening", "open"})
CLOSING = frozenset({"closing", "closed"})
GENERIC_DOMAIN = "homeassistant"


@dataclass(frozen=True, slots=True)
class ChangeContext:
    """The parts of a Home Assistant context that tell who acted."""

    id: str | None = None
    parent_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    expires: float
    by_person: bool


@dataclass(slots=True)
class _Command:
    context_id: str
    when: float
    targets: frozenset[str] | None  # None: the service does not say which state
    settled: bool = False  # its state was reached; kept to judge its own context


def entity_ids_of(data: Mapping[str, Any]) -> list[str]:
    """Return the entity ids a service call names directly (`entity_id`)."""
    value = data.get("entity_id")
    if isinstance(value, str):
        names: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        names = value
    else:
        return []
    return [
        name.strip()
        for name in names
        if isinstance(name, str) and "." in name and name.strip() != "all"
    ]


def _toggled(domain: str, current: str | None) -> frozenset[str] | None:
    if domain == "cover":
        if current in OPENING:
            return CLOSING
        if current in CLOSING:
            return OPENING
        return None
    if current == "on":
        return frozenset({"off"})
    if current == "off":
        return frozenset({"on"})
    return None


# Services whose outcome is one of a few states, by the entity's domain.
FIXED_TARGETS: dict[str, dict[str, frozenset[str]]] = {
    "lock": {
        "lock": frozenset({"locking", "locked"}),
        "unlock": frozenset({"unlocking", "unlocked"}),
        "open": frozenset({"opening", "open", "unlocked"}),
    },
    "media_player": {
        "media_play": frozenset({"playing", "buffering"}),
        "play_media": frozenset({"playing", "buffering"}),
        "media_pause": frozenset({"paused"}),
        "media_stop": frozenset({"idle"}),
        "turn_off": frozenset({"off"}),
    },
    "climate": {"turn_off": frozenset({"off"})},
}


def _cover_targets(service: str, data: Mapping[str, Any]) -> frozenset[str] | None:
    # `homeassistant.turn_on`/`turn_off` open and close covers.
    if service in ("open_cover", "turn_on"):
        return OPENING
    if service in ("close_cover", "turn_off"):
        return CLOSING
    if service == "set_cover_position":
        return CLOSING if data.get("position") == 0 else OPENING | {"closing"}
    return None


def command_targets(
    service: str, data: Mapping[str, Any], entity_id: str, current: str | None
) -> frozenset[str] | None:
    """Return the states a service call asks of `entity_id`, or None if unsure.

    `current` is the entity's state when the call is made (for toggles). Only
    services whose outcome is certain name states; the others (a scene, a
    temperature, a media player switched on) return None.
    """
    domain = entity_id.split(".", 1)[0]
    if service == "toggle":
        return _toggled(domain, current)
    if domain == "cover":
        return _cover_targets(service, data)
    if domain == "climate" and service == "set_hvac_mode":
        mode = data.get("hvac_mode")
        return frozenset({mode}) if isinstance(mode, str) else None
    if domain in ON_OFF_DOMAINS and service in ("turn_on", "turn_off"):
        # A light asked for no brightness at all is switched off.
        dark = domain == "light" and 0 in (
            data.get("brightness"),
            data.get("brightness_pct"),
        )
        return frozenset({"off" if service == "turn_off" or dark else "on"})
    return FIXED_TARGETS.get(domain, {}).get(service)


def targets_of_call(
    domain: str,
    service: str,
    data: Mapping[str, Any],
    entity_ids: Iterable[str],
    current: Callable[[str], str | None],
) -> dict[str, frozenset[str] | None]:
    """Map each entity a call acts on to the states it asks for.

    A call of the entity's own domain or of the generic `homeassistant` domain
    acts on it; others (a scene, a script) name entities they do not set.
    """
    targets: dict[str, frozenset[str] | None] = {}
    for entity_id in entity_ids:
        if domain not in (GENERIC_DOMAIN, entity_id.split(".", 1)[0]):
            continue
        targets[entity_id] = command_targets(
            service, data, entity_id, current(entity_id)
        )
    return targets


class OriginTracker:
    """Remembers recent automation and script runs and their pending commands.

    The rule, for a change of `entity` to `new` under context `c` at time `t`:

    1. From or to `unavailable`/`unknown`, or without an old state: SYSTEM.
    2. `c` comes from an automation (it has a parent - the trigger's context -,
       or it is a remembered automation run, or a script run not started by a
       person): AUTOMATED - unless the run gave `entity` commands and none of
       them asks for `new` (every command's states known). Then the device did
       what the run did not ask for within the five seconds it keeps the run's
       context: a person's press after a command it did not carry out, or right
       after one it did. That is MANUAL.
    3. `c` is a script run started by a person (a user on the context, no
       parent): MANUAL, like scenes a person starts.
    4. `c` has no user (a device's own report) and a command of an automation
       or script of the last `echo_seconds` asked `entity` for `new`: the late
       echo of that command, AUTOMATED. Each command is credited once, except
       for progress among the states it asked for (a cover `opening`, then
       `open` twenty seconds later).
    5. Otherwise MANUAL.

    Any change to a state a pending command asked for settles that command, so
    a later change to the same state is not credited to it again; a settled
    command still judges changes under its own context (rule 2). Memory is
    bounded: runs are forgotten `run_seconds` after last seen (at most
    `max_runs`), commands after `echo_seconds` (at most `max_commands`).
    """

    def __init__(
        self,
        *,
        run_seconds: float = RUN_MEMORY_SECONDS,
        max_runs: int = MAX_RUNS,
        echo_seconds: float = ECHO_SECONDS,
        max_commands: int = MAX_COMMANDS,
    ) -> None:
        """Start with no memory."""
        self.run_seconds = run_seconds
        self.max_runs = max_runs
        self.echo_seconds = echo_seconds
        self.max_commands = max_commands
        # Insertion order is expiry order: a run seen again moves to the end.
        self._runs: dict[str, _Run] = {}
        self._commands: dict[str, list[_Command]] = {}
        self._command_order: deque[tuple[float, str]] = deque()

    def __len__(self) -> int:
        """Return how many runs and commands are remembered."""
        return len(self._runs) + len(self._command_order)

    # What happened before the change

    def run_started(self, context: ChangeContext, when: float) -> None:
        """Note an `automation_triggered` event."""
        self._remember_run(context, when, by_person=False)

    def script_started(self, context: ChangeContext, when: float) -> None:
        """Note a `script_started` event; a person's when it has a user, no parent."""
        by_person = context.user_id is not None and context.parent_id is None
        known = self._runs.get(context.id or "")
        self._remember_run(
            context, when, by_person=by_person and (known is None or known.by_person)
        )

    def by_automation(self, context: ChangeContext, when: float) -> bool:
        """Tell whether a context is an automation's or a script's (not a person's)."""
        if context.parent_id:
            return True
        run = self._run(context.id, when)
        return run is not None and not run.by_person

    def command(
        self,
        context: ChangeContext,
        when: float,
        targets: Mapping[str, frozenset[str] | None],
    ) -> None:
        """Note a service call; remembered only when an automation or script made it."""
        if context.id is None or not targets or not self.by_automation(context, when):
            return
        if context.id in self._runs:
            self._remember_run(context, when, by_person=False)
        self._expire_commands(when)
        for entity_id, states in targets.items():
            self._commands.setdefault(entity_id, []).append(
                _Command(context.id, when, states)
            )
            self._command_order.append((when, entity_id))
        while len(self._command_order) > self.max_commands:
            self._drop_oldest_command()

    # The change

    def classify(
        self,
        entity_id: str,
        old_state: str | None,
        new_state: str,
        context: ChangeContext,
        when: float,
    ) -> Origin:
        """Return who made the change (see the class docstring for the rule)."""
        origin = classify_origin(old_state, new_state, context_parent_id=None)
        if origin is Origin.SYSTEM:
            return origin
        self._expire_commands(when)
        commands = self._commands.get(entity_id, [])
        if self.by_automation(context, when):
            own = [command for command in commands if command.context_id == context.id]
            if own and all(
                command.targets is not None and new_state not in command.targets
                for command in own
            ):
                return Origin.MANUAL
            self._settle(entity_id, new_state)
            return Origin.AUTOMATED
        run = self._run(context.id, when)
        if run is None and context.user_id is None:
            for command in commands:
                if (
                    command.targets is not None
                    and new_state in command.targets
                    and (not command.settled or old_state in command.targets)
                ):
                    self._settle(entity_id, new_state)
                    return Origin.AUTOMATED
        self._settle(entity_id, new_state)
        return Origin.MANUAL

    # Memory

    def _run(self, context_id: str | None, when: float) -> _Run | None:
        if context_id is None:
            return None
        run = self._runs.get(context_id)
        if run is None or run.expires < when:
            return None
        return run

    def _remember_run(
        self, context: ChangeContext, when: float, *, by_person: bool
    ) -> None:
        if context.id is None:
            return
        self._runs.pop(context.id, None)
        self._runs[context.id] = _Run(when + self.run_seconds, by_person)
        runs = self._runs
        while runs:
            oldest = next(iter(runs))
            if len(runs) <= self.max_runs and runs[oldest].expires >= when:
                break
            del runs[oldest]

    def _settle(self, entity_id: str, state: str) -> None:
        """Mark the entity's commands that asked for `state` as reached."""
        for command in self._commands.get(entity_id, []):
            if command.targets is not None and state in command.targets:
                command.settled = True

    def _expire_commands(self, when: float) -> None:
        order = self._command_order
        while order and order[0][0] < when - self.echo_seconds:
            self._drop_oldest_command()

    def _drop_oldest_command(self) -> None:
        issued, entity_id = self._command_order.popleft()
        commands = self._commands.get(entity_id)
        if not commands:
            return
        kept = [command for command in commands if command.when > issued]
        if kept:
            self._commands[entity_id] = kept
        else:
            del self._commands[entity_id]
