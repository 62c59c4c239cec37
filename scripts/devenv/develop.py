"""scripts/develop: a Home Assistant for a developer, and the banner saying where."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from scripts import zigbee2mqtt_devices, zigbee2mqtt_sim

from .camera_demo import cameras_line, check_cameras, start_cameras
from .common import (
    DEFAULT_HTTP_PORT,
    DEV_DIR,
    JSON,
    LOOPBACK,
    PASSWORD,
    RESTART_EXIT_CODE,
    USERNAME,
    DevEnvError,
    IntegrationUnavailableError,
    log,
)
from .demo_guide import STOP_LINE, dashboard_yaml, what_to_try, write_dashboard
from .demo_history import DemoHousehold, demo_household, seed_history
from .environment import Environment, environment, run
from .hass_api import (
    HassApi,
    ensure_ha_ai_entry,
    ensure_mqtt_entry,
    finish_onboarding,
    integration_unavailable_message,
    persistent_notifications,
    repair_issues,
)
from .history_check import check_history
from .home_assistant import TIME_ZONE
from .ports import pick_port
from .processes import ha_log_filter, stop_leftovers
from .requirements import ensure_runtime_requirements
from .sports_demo import DEMO_TEAMS, check_sports, sports_line, teamtracker_yaml
from .zigbee_check import check_zigbee, simulate_zigbee2mqtt, zigbee_line

LAST_ANALYSIS = "sensor.ha_ai_last_analysis"
PATTERNS_DETECTED = "sensor.ha_ai_patterns_detected"
UNKNOWN_STATES = (None, "unknown", "unavailable")
ANALYSIS_TIMEOUT = 60.0
# The stand-in's retained bridge/info reaches Home Assistant's MQTT discovery
# moments after it starts: HA AI is then set up from that offer, as a user would.
DISCOVERED_OFFER_WAIT = 5.0


def load_state(path: Path) -> JSON:
    """Read what a previous run remembered (refresh token, broker port)."""
    try:
        state: JSON = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return state


def save_state(path: Path, state: JSON) -> None:
    """Remember state for the next run, readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


async def develop(args: argparse.Namespace) -> int:
    """Run the development environment in the foreground until stopped."""
    run_dir: Path = args.dir.resolve()
    state_path = run_dir / "state.json"
    state = load_state(state_path)
    stop_leftovers(run_dir)
    http_port = pick_port(args.port)
    if http_port != args.port:
        log(f"Port {args.port} is busy; using {http_port}")
    mqtt_port = pick_port(state.get("mqtt_port"))
    simulation = zigbee2mqtt_sim.build(zigbee2mqtt_devices.demo_house())
    history = demo_history_line(run_dir / "config", simulation)
    household = household_of(simulation)
    write_dashboard(run_dir / "config", household)
    async with environment(
        run_dir,
        http_port,
        mqtt_port,
        state,
        debug=True,
        echo=ha_log_filter(verbose=args.verbose),
        extra_yaml=zigbee2mqtt_sim.demo_automation_yaml(simulation)
        + teamtracker_yaml(DEMO_TEAMS)
        + dashboard_yaml(),
    ) as env:
        save_state(state_path, state)
        if env.onboarded_now:
            await finish_onboarding(env.api)
        moved = await ensure_mqtt_entry(env.api, mqtt_port, state.get("mqtt_port"))
        state["mqtt_port"] = mqtt_port
        save_state(state_path, state)
        # Before the ha_ai entry: on a fresh instance HA AI's first judgement
        # then already sees the devices and their entities.
        await simulate_zigbee2mqtt(env, simulation)
        problem = await ha_ai_problem(env.api, reload=moved)
        guide: list[str] = []
        if not problem:
            history += "; " + await first_analysis(env.api)
            await start_cameras(env)
            guide = await what_to_try(env.api, env.base_url, mqtt_port)
        print_banner(
            env,
            problem,
            foreground=not args.check,
            zigbee=zigbee_line(simulation),
            history=history,
            sports=sports_line(DEMO_TEAMS),
            cameras=None if problem else cameras_line(env),
            guide=guide,
        )
        if args.check:
            if problem:
                return 1
            zigbee = await check_zigbee(env.api, simulation)
            sports = await check_sports(env.api, DEMO_TEAMS)
            habits = await check_history(env.api, household)
            cameras = await check_cameras(env.api)
            clean = await check_clean_start(env.api)
            ok = zigbee and sports and habits and cameras and clean
            return 0 if ok else 1
        while (code := await env.hass.process.wait()) == RESTART_EXIT_CODE:
            log("Home Assistant asked for a restart")
            await env.restart_hass()
            save_state(state_path, state)  # a login may have renewed the token
            if problem:
                # The usual fix is editing the integration, then a restart.
                problem = await ha_ai_problem(env.api)
                log(f"ha_ai: {problem or 'entry loaded'}")
        log(f"Home Assistant exited with {code}")
        return code


def household_of(simulation: zigbee2mqtt_sim.Simulation) -> DemoHousehold:
    """Return the demo household's habits on the simulated devices."""
    light, plug = zigbee2mqtt_sim.demo_habit_entities(simulation)
    # What people use: not the bridge's or the devices' diagnostic entities.
    others = [
        entity.entity_id
        for entity in simulation.entities
        if entity.enabled and not entity.config.get("entity_category")
    ]
    return demo_household(light, plug, others)


async def check_clean_start(api: HassApi) -> bool:
    """Verify a fresh demo house greets its user with nothing to fix.

    The Repairs page is empty, as on a fresh default install (a country not
    set, a package that could not load, one of HA AI's own would be the first
    thing a new user sees), and the only notifications are HA AI's own (its new
    suggestions): no discovered offer left behind once HA AI is set up.
    """
    issues = await repair_issues(api)
    others = [
        note["notification_id"]
        for note in await persistent_notifications(api)
        if not str(note["notification_id"]).startswith("ha_ai")
    ]
    if issues or others:
        listed = [f"repair {i['domain']}.{i['issue_id']}" for i in issues]
        listed += [f"notification {note}" for note in others]
        print(f"CHECK FAILED: a fresh start shows {', '.join(listed)}", flush=True)
        return False
    print("No repairs, and no notifications but HA AI's own", flush=True)
    return True


def demo_history_line(config_dir: Path, simulation: zigbee2mqtt_sim.Simulation) -> str:
    """Give a fresh demo house four weeks of history; describe it for the banner."""
    household = household_of(simulation)
    written = seed_history(config_dir, household, time_zone=TIME_ZONE)
    if written is None:
        return "HA AI's log kept from the last run"
    log(f"Wrote {written.days} days of the demo household's habits into HA AI's log")
    return f"{written.days} days of a household using {', '.join(household.entities)}"


async def first_analysis(api: HassApi) -> str:
    """Wait for HA AI's first analysis of the history, so the card has it to show.

    HA AI starts that analysis itself on a new installation whose log holds
    days; on later runs the last analysis is there already.
    """
    deadline = time.monotonic() + ANALYSIS_TIMEOUT
    while (last := await api.state(LAST_ANALYSIS)) in UNKNOWN_STATES:
        if time.monotonic() > deadline:
            return f"no analysis after {ANALYSIS_TIMEOUT:.0f} s (see the log)"
        await asyncio.sleep(0.5)
    patterns = await api.state(PATTERNS_DETECTED)
    return f"analysed at {last}: {patterns} patterns"


async def ha_ai_problem(api: HassApi, *, reload: bool = False) -> str | None:
    """Ensure the ha_ai entry; describe what is wrong instead of failing.

    While the integration is being written it may not load yet; Home Assistant
    keeps running so that the developer can fix it and restart.
    """
    try:
        await ensure_ha_ai_entry(
            api, reload=reload, discovered_within=DISCOVERED_OFFER_WAIT
        )
    except IntegrationUnavailableError as err:
        return integration_unavailable_message(err)
    except DevEnvError as err:
        return f"ha_ai entry not ready: {err}"
    return None


def print_banner(  # noqa: PLR0913 - one line of the banner each
    env: Environment,
    problem: str | None,
    *,
    foreground: bool,
    zigbee: str | None = None,
    history: str | None = None,
    sports: str | None = None,
    cameras: str | None = None,
    guide: list[str] | None = None,
) -> None:
    """Tell the developer where everything is."""
    lines = [
        f"Home Assistant: {env.base_url}  (login {USERNAME} / {PASSWORD})",
        f"MQTT broker:    {LOOPBACK}:{env.mqtt_port}  "
        f"(mosquitto_sub -p {env.mqtt_port} -t 'ha-ai/#' -v)",
        f"Config dir:     {env.config_dir}",
        f"Log:            {env.run_dir / 'hass.log'}",
    ]
    if zigbee:
        lines.append(f"Zigbee2MQTT:    {zigbee}")
    if history:
        lines.append(f"History:        {history}")
    if sports:
        lines.append(f"Sports:         {sports}")
    if cameras:
        lines.append(f"Cameras:        {cameras}")
    if problem:
        lines.append(f"PROBLEM:        {problem}")
    lines += guide or []
    if foreground:
        lines.append(STOP_LINE if not guide else f"  To stop: {STOP_LINE}")
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the develop command line and run it."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run Home Assistant with this integration and a mosquitto.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, verify the config entries, HA AI's view of the simulated "
        "Zigbee2MQTT and that it follows the demo's teams, the first analysis of "
        "the demo history and the cameras' events, stop; exit 0 when all is well",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help="preferred HTTP port (default %(default)s; another if busy)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEV_DIR,
        help="directory of the broker, config and logs (default %(default)s)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the whole Home Assistant log"
    )
    args = parser.parse_args(argv)
    ensure_runtime_requirements()
    return run(develop(args))
