"""A whole environment: mosquitto and Home Assistant, set up and torn down together."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from .auth import AccessToken, authenticate, renew_tokens
from .broker_acl import BrokerUser
from .common import JSON, LOOPBACK, START_TIMEOUT, DevEnvError, log
from .hass_api import HassApi, wait_for_http
from .home_assistant import (
    link_integration,
    skip_core_config_onboarding,
    start_hass,
    write_ha_config,
)
from .processes import ACTIVE_GROUPS, Service, ServiceGroup, start_mosquitto


@dataclasses.dataclass
class Environment:
    """A running mosquitto + Home Assistant pair and an API session on it."""

    run_dir: Path
    config_dir: Path
    http_port: int
    mqtt_port: int
    group: ServiceGroup
    hass: Service
    api: HassApi
    onboarded_now: bool
    echo: Callable[[str], bool] | None = None
    persistent_broker: bool = False

    @property
    def base_url(self) -> str:
        """Return the URL Home Assistant serves."""
        return f"http://{LOOPBACK}:{self.http_port}"

    async def restart_hass(
        self, while_stopped: Callable[[], object] | None = None
    ) -> None:
        """Start Home Assistant again, as its supervisor would on a restart.

        ``while_stopped`` runs between the stop and the start (to change its
        files, as a crash or a user could).
        """
        await self.hass.stop()
        self.group.services.remove(self.hass)
        if while_stopped is not None:
            while_stopped()
        self.hass = await start_hass(
            self.group,
            self.config_dir,
            self.run_dir / "hass.log",
            self.echo,
            append=True,
        )
        await wait_for_http(self.api.session, self.base_url, self.hass, START_TIMEOUT)
        await self.api.wait_running(START_TIMEOUT)

    async def stop_broker(self) -> None:
        """Stop mosquitto (gracefully: a persistent one saves its sessions)."""
        broker = next(s for s in self.group.services if s.name == "mosquitto")
        await broker.stop()
        self.group.services.remove(broker)

    async def start_broker(self) -> None:
        """Start an open mosquitto again on the same port, after `stop_broker`.

        Started after Home Assistant, it is stopped before it on exit, which
        Home Assistant takes as one more outage.
        """
        await start_mosquitto(
            self.group,
            self.run_dir / "mosquitto",
            self.mqtt_port,
            persistence=self.persistent_broker,
        )


@contextlib.asynccontextmanager
async def environment(  # noqa: PLR0913 - each knob is used by a caller
    run_dir: Path,
    http_port: int,
    mqtt_port: int,
    state: JSON,
    *,
    debug: bool,
    echo: Callable[[str], bool] | None = None,
    extra_yaml: str = "",
    broker_users: Sequence[BrokerUser] = (),
    persistent_broker: bool = False,
) -> AsyncIterator[Environment]:
    """Start mosquitto and Home Assistant in ``run_dir``; stop both on exit.

    Yields once Home Assistant is running and authenticated; the caller
    creates the config entries it needs. ``extra_yaml`` goes into
    configuration.yaml. With ``broker_users`` mosquitto is locked down to them
    (see ``broker_acl``). ``persistent_broker`` keeps mosquitto's sessions
    across `Environment.stop_broker` and `start_broker`.
    """
    config_dir = run_dir / "config"
    async with ServiceGroup() as group, aiohttp.ClientSession() as session:
        log(f"Starting mosquitto on {LOOPBACK}:{mqtt_port}")
        await start_mosquitto(
            group,
            run_dir / "mosquitto",
            mqtt_port,
            broker_users,
            persistence=persistent_broker,
        )
        write_ha_config(config_dir, http_port, debug=debug, extra_yaml=extra_yaml)
        skip_core_config_onboarding(config_dir)
        link_integration(config_dir)
        log(f"Starting Home Assistant on {LOOPBACK}:{http_port} ({config_dir})")
        hass = await start_hass(group, config_dir, run_dir / "hass.log", echo)
        base_url = f"http://{LOOPBACK}:{http_port}"
        await wait_for_http(session, base_url, hass, START_TIMEOUT)
        tokens, onboarded_now = await authenticate(session, base_url, state)
        token = AccessToken(tokens, lambda: renew_tokens(session, base_url, state))
        api = HassApi(session, base_url, token)
        await api.wait_running(START_TIMEOUT)
        yield Environment(
            run_dir,
            config_dir,
            http_port,
            mqtt_port,
            group,
            hass,
            api,
            onboarded_now,
            echo,
            persistent_broker,
        )


def run(main: Coroutine[Any, Any, int]) -> int:
    """Run ``main``, turning SIGINT/SIGTERM/SIGHUP into an orderly stop.

    The first signal cancels ``main`` (whose context managers stop the
    services); a second one kills the services at once.
    """

    async def supervise() -> int:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(main)
        signals: list[int] = []

        def on_signal(signum: int) -> None:
            signals.append(signum)
            if len(signals) == 1:
                log("Stopping (signal again to kill at once)")
                task.cancel()
            else:
                for group in ACTIVE_GROUPS:
                    group.kill()

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await task
        except asyncio.CancelledError:
            return 128 + signals[0] if signals else 1

    try:
        return asyncio.run(supervise())
    except (DevEnvError, aiohttp.ClientError) as err:
        log(f"Error: {err}")
        return 1
