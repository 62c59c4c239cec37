"""Run a real Home Assistant with a real MQTT broker for development.

``scripts/develop`` runs this module to give a developer a Home Assistant that
loads the integration from the working tree, and ``scripts/bench`` imports the
same helpers so that measurements run against exactly what developers see.
Everything here talks to Home Assistant the way a user would (REST and
websocket), so the integration is exercised through its public surface.
``scripts/develop`` also plays a Zigbee2MQTT bridge with a few devices
(``zigbee2mqtt_sim.py``), so HA AI's Zigbee features have something to show.

It runs with the interpreter of ``.venv`` (created by ``scripts/_env.sh``),
which provides Home Assistant and aiohttp; nothing else is required.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self

import aiohttp
import zigbee2mqtt_sim

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "ha_ai"
DEV_DIR = REPO_ROOT / ".dev"
DEFAULT_HTTP_PORT = 8123
LOOPBACK = "127.0.0.1"
# Any http(s) URL is a valid client id; a fixed one keeps a stored refresh token
# usable when the HTTP port changes between runs.
CLIENT_ID = "http://127.0.0.1/"
USERNAME = "dev"
PASSWORD = "dev"  # noqa: S105 - documented local development login, loopback only
START_TIMEOUT = 120.0
# An access token is renewed this many seconds before Home Assistant says it
# expires (after 30 minutes), so a request never goes out with a stale one.
TOKEN_RENEW_MARGIN = 60.0
STOP_TIMEOUT = 60.0
ENTRY_TIMEOUT = 60.0
# hass exits with this code when asked to restart, expecting to be started again.
RESTART_EXIT_CODE = 100
HA_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) ")

JSON = dict[str, Any]


class DevEnvError(Exception):
    """A step failed; the message says what to look at."""


class IntegrationUnavailableError(DevEnvError):
    """The ha_ai config flow cannot be started (integration missing or broken)."""


def log(message: str) -> None:
    """Report progress on stderr, so stdout stays free for results."""
    print(f"==> {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Ports and packages
# --------------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    """Tell whether a listener could bind ``port`` on loopback.

    SO_REUSEADDR mirrors what Home Assistant and mosquitto do, so sockets of a
    previous run still in TIME_WAIT do not count as busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """Return a loopback port the kernel considers unused right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def pick_port(preferred: int | None) -> int:
    """Use ``preferred`` when it is free, so URLs stay stable across runs."""
    if preferred and port_is_free(preferred):
        return preferred
    return free_port()


def frontend_pin() -> str:
    """Read the frontend version Home Assistant itself pins.

    The ``frontend`` integration always loads; without this exact package Home
    Assistant starts in recovery mode and loads no custom integration.
    """
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        raise DevEnvError("homeassistant is not installed in this interpreter")
    constraints = Path(spec.submodule_search_locations[0]) / "package_constraints.txt"
    match = re.search(
        r"^home-assistant-frontend==(\S+)$",
        constraints.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    if match is None:
        msg = f"no home-assistant-frontend pin in {constraints}"
        raise DevEnvError(msg)
    return match.group(1)


def runtime_requirements() -> list[str]:
    """List what ``hass --skip-pip`` needs beyond the test environment.

    The test environment (``requirements_test.txt``) already brings Home
    Assistant's core requirements plus paho-mqtt and aiohttp; a minimal start
    with the mqtt integration showed that only the frontend is missing.
    """
    return [f"home-assistant-frontend=={frontend_pin()}"]


def missing_requirements(requirements: list[str]) -> list[str]:
    """Keep the ``name==version`` requirements not installed at that version."""
    missing = []
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            missing.append(requirement)
    return missing


def ensure_runtime_requirements() -> None:
    """Install the missing runtime packages into the running interpreter's venv.

    uv (exported as UV by scripts/_env.sh) is much faster than pip; pip is the
    fallback when the module is run by hand.
    """
    missing = missing_requirements(runtime_requirements())
    if not missing:
        return
    log(f"Installing {' '.join(missing)} into {sys.prefix}")
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv:
        command = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
        command += ["--python", sys.executable, *missing]
    else:
        command = [sys.executable, "-m", "pip", "install", "--quiet", *missing]
    # Installer chatter goes to stderr: scripts/bench keeps stdout for results.
    subprocess.run(command, check=True, stdout=sys.stderr)
    importlib.invalidate_caches()


# --------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------


def _with_parent_death_signal(command: list[str]) -> list[str]:
    """Make the child get SIGTERM if this process dies without cleaning up.

    util-linux's setpriv sets the parent-death signal and then executes the
    command, which keeps it (a preexec_fn would do the same but is unsafe
    once threads exist). Where setpriv is missing, stop_leftovers() is the
    fallback.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None or not sys.platform.startswith("linux"):
        return command
    return [setpriv, "--pdeathsig", "TERM", *command]


@dataclasses.dataclass
class Service:
    """A child process started by this script, which must stop it again."""

    name: str
    process: asyncio.subprocess.Process
    pid_file: Path
    output_task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Tell whether the process has not exited yet."""
        return self.process.returncode is None

    def kill(self) -> None:
        """Kill the whole process group at once (used on a second Ctrl-C)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop gracefully with SIGTERM, then SIGKILL whatever is left."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                log(f"{self.name} did not stop within {timeout:.0f} s; killing it")
        # The child leads its own process group: this also reaps any helper.
        self.kill()
        await self.process.wait()
        self.pid_file.unlink(missing_ok=True)
        if self.output_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.output_task


class ServiceGroup:
    """Start services and stop them all, newest first, whatever happens."""

    def __init__(self) -> None:
        """Start empty; services are added as they are started."""
        self.services: list[Service] = []

    async def __aenter__(self) -> Self:
        """Register for the emergency kill of a second signal."""
        _ACTIVE_GROUPS.append(self)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop every service, even when the caller failed or was cancelled.

        A cancellation arriving while stopping (a signal during the shutdown
        of a normal exit) must not abandon the services half-stopped: the stop
        runs shielded to its end and the cancellation is passed on after.
        """
        stopping = asyncio.ensure_future(self.stop())
        cancelled = False
        while not stopping.done():
            try:
                await asyncio.shield(stopping)
            except asyncio.CancelledError:
                cancelled = True
        _ACTIVE_GROUPS.remove(self)
        stopping.result()
        if cancelled:
            raise asyncio.CancelledError

    async def start(
        self,
        name: str,
        command: list[str],
        log_path: Path,
        echo: Callable[[str], bool] | None = None,
        *,
        append: bool = False,
    ) -> Service:
        """Start ``command`` in its own session, output to ``log_path``.

        Its own session keeps the terminal's Ctrl-C away from the child, so this
        script decides the order of shutdown. The child writes straight to the
        file, not to a pipe, so it never depends on this process reading (a
        pipe would break, and stall the child, if this process were killed).
        Lines accepted by ``echo`` are also shown on stderr.
        """
        log_path.parent.mkdir(parents=True, exist_ok=True)
        pid_file = log_path.with_suffix(".pid")
        with log_path.open("ab" if append else "wb") as output:
            offset = output.tell()
            process = await asyncio.create_subprocess_exec(
                *_with_parent_death_signal(command),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        pid_file.write_text(str(process.pid), encoding="utf-8")
        service = Service(name, process, pid_file)
        self.services.append(service)
        if echo is not None:
            service.output_task = asyncio.create_task(
                _follow(process, log_path, offset, echo), name=f"{name} output"
            )
        return service

    async def stop(self) -> None:
        """Stop the services in reverse order of start."""
        while self.services:
            service = self.services[-1]
            if service.running:
                log(f"Stopping {service.name}")
            await service.stop()
            self.services.remove(service)

    def kill(self) -> None:
        """Kill every service immediately."""
        for service in self.services:
            service.kill()


_ACTIVE_GROUPS: list[ServiceGroup] = []


def stop_leftovers(run_dir: Path, timeout: float = STOP_TIMEOUT) -> None:
    """Stop what a previous run in ``run_dir`` left behind when it was killed.

    Children get SIGTERM when this process dies, but mosquitto started as root
    drops privileges, which cancels that, and Home Assistant may still be
    shutting down. Each service leaves a pid file while it runs; a process is
    only touched if its command line names ``run_dir``. Runs before ports are
    picked, so the previous ports are free again.
    """
    for pid_file in sorted(run_dir.rglob("*.pid")):
        try:
            pid = int(pid_file.read_text(encoding="utf-8"))
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            pid_file.unlink(missing_ok=True)
            continue
        if str(run_dir).encode() not in cmdline:
            pid_file.unlink()
            continue
        log(f"Stopping pid {pid} left running by an earlier run")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        pid_file.unlink()


async def _follow(
    process: asyncio.subprocess.Process,
    log_path: Path,
    offset: int,
    echo: Callable[[str], bool],
) -> None:
    """Show the lines ``echo`` accepts as a child appends them to its log."""
    pending = b""
    with log_path.open("rb") as log_file:
        log_file.seek(offset)
        while True:
            exited = process.returncode is not None
            pending += log_file.read()
            *lines, pending = pending.split(b"\n")
            for line in lines:
                text = line.decode(errors="replace") + "\n"
                if echo(text):
                    sys.stderr.write(text)
            sys.stderr.flush()
            if exited:
                return
            await asyncio.sleep(0.2)


def ha_log_filter(*, verbose: bool) -> Callable[[str], bool]:
    """Select the Home Assistant log lines worth showing in the terminal.

    The integration's own lines and warnings or worse are shown, including the
    traceback lines that follow them; ``verbose`` shows everything.
    """
    showing = False

    def accept(line: str) -> bool:
        nonlocal showing
        if verbose:
            return True
        match = HA_LOG_LINE.match(line)
        if match is None:
            return showing
        showing = match.group(1) in {"WARNING", "ERROR", "CRITICAL"} or (
            "[custom_components.ha_ai" in line
        )
        return showing

    return accept


async def wait_for_port(service: Service, port: int, timeout: float) -> None:
    """Wait until ``service`` accepts TCP connections on loopback ``port``."""
    deadline = time.monotonic() + timeout
    while True:
        if not service.running:
            msg = f"{service.name} exited with {service.process.returncode}"
            raise DevEnvError(msg)
        try:
            _, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError:
            if time.monotonic() > deadline:
                msg = f"{service.name} does not listen on {port}"
                raise DevEnvError(msg) from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            await writer.wait_closed()
            return


async def start_mosquitto(group: ServiceGroup, run_dir: Path, port: int) -> Service:
    """Start a private mosquitto on loopback ``port`` and wait until it listens."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto).exists():
        raise DevEnvError("mosquitto is not installed (see scripts/_env.sh)")
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "mosquitto.conf"
    config.write_text(
        f"listener {port} {LOOPBACK}\nallow_anonymous true\npersistence false\n",
        encoding="utf-8",
    )
    service = await group.start(
        "mosquitto", [mosquitto, "-c", str(config)], run_dir / "mosquitto.log"
    )
    await wait_for_port(service, port, 10)
    return service


# --------------------------------------------------------------------------
# Home Assistant configuration directory and process
# --------------------------------------------------------------------------


def write_ha_config(
    config_dir: Path, http_port: int, *, debug: bool, extra_yaml: str = ""
) -> None:
    """Write a minimal configuration.yaml (not default_config).

    default_config pulls in a dozen integrations whose packages are not
    installed, and ``--skip-pip`` cannot install them. The file is rewritten on
    every run because the HTTP port may change; YAML of one's own goes into
    ``packages/``, which is kept. ``extra_yaml`` (top-level keys) is appended.
    """
    (config_dir / "packages").mkdir(parents=True, exist_ok=True)
    level, own_level = ("info", "debug") if debug else ("warning", "warning")
    # Two messages about optional accelerators on every start, not problems:
    # libturbojpeg is a system library (without it camera snapshots are served
    # unscaled), and
    # zlib_ng/isal are optional speed-ups of aiohttp's compression.
    logger = (
        f"logger:\n  default: {level}\n  logs:\n"
        f"    custom_components.ha_ai: {own_level}\n"
        "    homeassistant.components.camera.img_util: critical\n"
        "    aiohttp_fast_zlib: error\n"
    )
    (config_dir / "configuration.yaml").write_text(
        "# Rewritten on every run of scripts/develop or scripts/bench;\n"
        "# put your own YAML in packages/*.yaml.\n"
        "homeassistant:\n"
        "  name: HA AI development\n"
        "  packages: !include_dir_named packages\n"
        f"http:\n  server_host: {LOOPBACK}\n  server_port: {http_port}\n"
        "api:\nconfig:\nonboarding:\nrecorder:\nhistory:\n" + logger + extra_yaml,
        encoding="utf-8",
    )


def skip_core_config_onboarding(config_dir: Path) -> None:
    """Mark the location step of onboarding done on a fresh config dir.

    Finishing that step makes Home Assistant set up met, radio_browser,
    google_translate and shopping_list, which need packages ``--skip-pip``
    does not install and the internet: tracebacks on the first run and a
    broken google_translate entry on every later one. Marking it done in the
    onboarding store (the format Home Assistant itself migrates from) avoids
    that; the user step still runs over REST, and location, units and time
    zone keep their defaults (editable in Settings).
    """
    storage = config_dir / ".storage"
    if (storage / "onboarding").exists() or (storage / "auth").exists():
        return
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config"]},
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def link_integration(config_dir: Path) -> None:
    """Point custom_components/ha_ai at the working tree, so edits apply on restart."""
    link = config_dir / "custom_components" / "ha_ai"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.readlink() == INTEGRATION_DIR:
            return
        if link.is_dir() and not link.is_symlink():
            msg = f"{link} is a directory; remove it and run again"
            raise DevEnvError(msg)
        link.unlink()
    link.symlink_to(INTEGRATION_DIR, target_is_directory=True)


async def start_hass(
    group: ServiceGroup,
    config_dir: Path,
    log_path: Path,
    echo: Callable[[str], bool] | None = None,
    *,
    append: bool = False,
) -> Service:
    """Start ``hass`` from this interpreter's venv without pip installs."""
    hass = Path(sys.executable).parent / "hass"
    return await group.start(
        "Home Assistant",
        [str(hass), "-c", str(config_dir), "--skip-pip"],
        log_path,
        echo,
        append=append,
    )


# --------------------------------------------------------------------------
# Talking to Home Assistant
# --------------------------------------------------------------------------


async def wait_for_http(
    session: aiohttp.ClientSession, base_url: str, hass: Service, timeout: float
) -> None:
    """Wait until the HTTP server answers, failing early if hass exits."""
    deadline = time.monotonic() + timeout
    while True:
        if not hass.running:
            msg = f"Home Assistant exited with {hass.process.returncode} during start"
            raise DevEnvError(msg)
        try:
            # The server starts once frontend (hence auth and onboarding) is
            # set up; any answer will do. An unauthenticated /api/ would log
            # a warning about invalid authentication.
            async with session.get(f"{base_url}/auth/providers"):
                return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            msg = f"Home Assistant did not answer within {timeout:.0f} s"
            raise DevEnvError(msg)
        await asyncio.sleep(0.25)


async def _token_request(
    session: aiohttp.ClientSession, base_url: str, form: dict[str, str]
) -> JSON:
    """Exchange a code or refresh token at /auth/token."""
    async with session.post(
        f"{base_url}/auth/token", data={**form, "client_id": CLIENT_ID}
    ) as response:
        if response.status != 200:  # noqa: PLR2004
            msg = f"/auth/token: HTTP {response.status}"
            raise DevEnvError(msg)
        result: JSON = await response.json()
        return result


async def onboarding_done_steps(
    session: aiohttp.ClientSession, base_url: str
) -> set[str]:
    """Return the onboarding steps already done on this instance.

    The onboarding views only exist until onboarding is complete (they are
    registered before the HTTP server starts, so 404 is not a race).
    """
    async with session.get(f"{base_url}/api/onboarding") as response:
        if response.status == 404:  # noqa: PLR2004
            return {"user", "core_config", "analytics", "integration"}
        steps = await response.json()
    return {step["step"] for step in steps if step["done"]}


async def onboard_user(session: aiohttp.ClientSession, base_url: str) -> JSON:
    """Create the owner account on a fresh instance and return its tokens."""
    async with session.post(
        f"{base_url}/api/onboarding/users",
        json={
            "client_id": CLIENT_ID,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    ) as response:
        if response.status != 200:  # noqa: PLR2004
            msg = f"onboarding user: HTTP {response.status}"
            raise DevEnvError(msg)
        code = (await response.json())["auth_code"]
    return await _token_request(
        session, base_url, {"grant_type": "authorization_code", "code": code}
    )


async def login(session: aiohttp.ClientSession, base_url: str) -> JSON:
    """Log in with the development user through the login flow."""
    async with session.post(
        f"{base_url}/auth/login_flow",
        json={
            "client_id": CLIENT_ID,
            "handler": ["homeassistant", None],
            "redirect_uri": CLIENT_ID,
        },
    ) as response:
        flow_id = (await response.json())["flow_id"]
    async with session.post(
        f"{base_url}/auth/login_flow/{flow_id}",
        json={"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD},
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        msg = f"login as {USERNAME!r} failed: {result.get('errors')}"
        raise DevEnvError(msg)
    return await _token_request(
        session,
        base_url,
        {"grant_type": "authorization_code", "code": result["result"]},
    )


async def refresh(
    session: aiohttp.ClientSession, base_url: str, refresh_token: str
) -> JSON:
    """Get a new access token from a stored refresh token."""
    return await _token_request(
        session,
        base_url,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


async def authenticate(
    session: aiohttp.ClientSession, base_url: str, state: JSON
) -> tuple[JSON, bool]:
    """Return fresh tokens and whether the instance was onboarded just now.

    ``state`` carries the refresh token between runs and is updated in place;
    a login with the development user is the fallback when it is stale. The
    tokens are ``/auth/token``'s answer: ``access_token``, ``expires_in`` and
    (after onboarding or a login) ``refresh_token``.
    """
    if "user" not in await onboarding_done_steps(session, base_url):
        log(f"Onboarding a fresh instance (user {USERNAME!r})")
        tokens = await onboard_user(session, base_url)
        state["refresh_token"] = tokens["refresh_token"]
        return tokens, True
    return await renew_tokens(session, base_url, state), False


async def renew_tokens(
    session: aiohttp.ClientSession, base_url: str, state: JSON
) -> JSON:
    """Return a new access token from the refresh token, or by logging in again."""
    if stored := state.get("refresh_token"):
        with contextlib.suppress(DevEnvError, aiohttp.ClientError):
            return await refresh(session, base_url, stored)
    tokens = await login(session, base_url)
    state["refresh_token"] = tokens["refresh_token"]
    return tokens


class AccessToken:
    """An access token that is renewed before it expires, and on demand.

    Home Assistant's access tokens live 30 minutes; a development session runs
    for hours and survives restarts of Home Assistant. The token is renewed
    `TOKEN_RENEW_MARGIN` seconds before its ``expires_in`` runs out, and at
    once when a request is refused with HTTP 401 (a clock jump, a revoked
    token). ``clock`` is a monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        tokens: JSON,
        renew: Callable[[], Awaitable[JSON]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the tokens `/auth/token` gave; `renew` asks for new ones."""
        self._renew = renew
        self._clock = clock
        self._lock = asyncio.Lock()
        self.renewals = 0
        self._take(tokens)

    def _take(self, tokens: JSON) -> None:
        self.value = str(tokens["access_token"])
        lifetime = float(tokens.get("expires_in", 1800))
        self.renew_at = self._clock() + max(lifetime - TOKEN_RENEW_MARGIN, 0.0)

    @property
    def due(self) -> bool:
        """Tell whether the token must be renewed before the next request."""
        return self._clock() >= self.renew_at

    async def current(self) -> str:
        """Return a token that is good for the next request."""
        if self.due:
            await self.renew(self.value)
        return self.value

    async def renew(self, stale: str) -> str:
        """Replace the token `stale`; a token renewed meanwhile is kept."""
        async with self._lock:
            if self.value == stale:
                self._take(await self._renew())
                self.renewals += 1
            return self.value


class HassApi:
    """The few REST calls the scripts need, with errors turned into messages."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: AccessToken
    ) -> None:
        """Bind a session, an instance and a token kept fresh."""
        self.session = session
        self.base_url = base_url
        self.token = token

    @property
    def access_token(self) -> str:
        """Return the current access token (for a websocket's auth message)."""
        return self.token.value

    async def request(
        self,
        method: str,
        path: str,
        data: JSON | None = None,
    ) -> Any:  # noqa: ANN401 - JSON of any shape
        """Send one authenticated request and return its JSON body.

        A request refused with HTTP 401 is sent once more with a new token.
        """
        token = await self.token.current()
        status, body = await self._send(method, path, data, token)
        if status == HTTPStatus.UNAUTHORIZED:
            token = await self.token.renew(token)
            status, body = await self._send(method, path, data, token)
        if status == 404 and path.endswith("/flow"):  # noqa: PLR2004
            with contextlib.suppress(ValueError, KeyError, TypeError):
                body = json.loads(body)["message"]
            raise IntegrationUnavailableError(body)
        if status >= 400:  # noqa: PLR2004
            msg = f"{method} {path}: HTTP {status}: {body}"
            raise DevEnvError(msg)
        return json.loads(body) if body else None

    async def _send(
        self, method: str, path: str, data: JSON | None, token: str
    ) -> tuple[int, str]:
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=data,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            return response.status, await response.text()

    async def wait_running(self, timeout: float) -> None:
        """Wait until Home Assistant has finished starting, not in recovery mode."""
        deadline = time.monotonic() + timeout
        while (config := await self.request("GET", "/api/config"))["state"] != (
            "RUNNING"
        ):
            if time.monotonic() > deadline:
                msg = f"Home Assistant still {config['state']}"
                raise DevEnvError(msg)
            await asyncio.sleep(0.25)
        if config.get("recovery_mode") or config.get("safe_mode"):
            raise DevEnvError(
                "Home Assistant started in recovery mode: see its log "
                "(frontend package missing, or configuration.yaml invalid)"
            )

    async def entries(self, domain: str) -> list[JSON]:
        """List the config entries of ``domain``."""
        result: list[JSON] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return result

    async def run_flow(
        self, handler: str, *steps: JSON, entry_id: str | None = None
    ) -> JSON:
        """Start a config flow and submit ``steps`` to its forms, one each.

        With ``entry_id`` it is a reconfigure flow of that entry. Returns the
        final result (``create_entry`` or ``abort``); a form still shown after
        the last step means the input was refused, which is an error.
        """
        start: JSON = {"handler": handler}
        if entry_id:
            start["entry_id"] = entry_id
        result: JSON = await self.request(
            "POST", "/api/config/config_entries/flow", start
        )
        user_input: JSON = {}
        for user_input in steps:
            if result["type"] != "form":
                break
            result = await self.request(
                "POST",
                f"/api/config/config_entries/flow/{result['flow_id']}",
                user_input,
            )
        if result["type"] == "form":
            await self.request(
                "DELETE", f"/api/config/config_entries/flow/{result['flow_id']}"
            )
            msg = f"{handler} flow refused {user_input}: {result.get('errors')}"
            raise DevEnvError(msg)
        return result

    async def wait_entry_loaded(self, domain: str, timeout: float) -> JSON:
        """Wait until the (single) entry of ``domain`` is loaded; return it."""
        deadline = time.monotonic() + timeout
        while True:
            entries = await self.entries(domain)
            if entries and entries[0]["state"] == "loaded":
                return entries[0]
            if time.monotonic() > deadline:
                state = entries[0]["state"] if entries else "missing"
                reason = entries[0].get("reason") if entries else None
                msg = f"{domain} entry is {state} ({reason}), not loaded"
                raise DevEnvError(msg)
            await asyncio.sleep(0.25)

    async def reload_entry(self, entry_id: str) -> None:
        """Reload a config entry (after the broker it depends on moved)."""
        await self.request(
            "POST", f"/api/config/config_entries/entry/{entry_id}/reload"
        )


async def finish_onboarding(api: HassApi) -> None:
    """Complete the remaining onboarding steps so the UI opens on the dashboard.

    Neither step has side effects: analytics stays off, and the integration
    step only hands out an authorization code. Best effort: a step that fails
    only means the browser shows it once.
    """
    done = await onboarding_done_steps(api.session, api.base_url)
    steps: list[tuple[str, JSON]] = [
        ("analytics", {}),
        (
            "integration",
            {"client_id": CLIENT_ID, "redirect_uri": f"{CLIENT_ID}?auth_callback=1"},
        ),
    ]
    for step, data in steps:
        if step not in done:
            try:
                await api.request("POST", f"/api/onboarding/{step}", data)
            except DevEnvError as err:
                log(f"Onboarding step {step} left for the browser: {err}")


async def ensure_mqtt_entry(
    api: HassApi, port: int, configured_port: int | None
) -> bool:
    """Create the mqtt entry for the broker, or point the existing one at it.

    Returns True when an existing entry was moved to another port: whatever
    depends on it should then be reloaded.
    """
    user_input = {"broker": LOOPBACK, "port": port}
    entries = await api.entries("mqtt")
    moved = False
    if not entries:
        log(f"Creating the mqtt entry for {LOOPBACK}:{port}")
        result = await api.run_flow("mqtt", user_input)
        if result["type"] != "create_entry":
            msg = f"mqtt flow aborted: {result.get('reason')}"
            raise DevEnvError(msg)
    elif configured_port != port:
        log(f"Pointing the mqtt entry at {LOOPBACK}:{port}")
        result = await api.run_flow("mqtt", user_input, entry_id=entries[0]["entry_id"])
        if result.get("reason") != "reconfigure_successful":
            msg = f"mqtt reconfigure aborted: {result.get('reason')}"
            raise DevEnvError(msg)
        moved = True
    await api.wait_entry_loaded("mqtt", ENTRY_TIMEOUT)
    return moved


async def ensure_ha_ai_entry(api: HassApi, *, reload: bool = False) -> JSON:
    """Create the ha_ai entry with its defaults and wait until it is loaded.

    The flow aborts while MQTT is not connected yet, so an abort is retried
    until ENTRY_TIMEOUT. ``reload`` reloads an existing entry.
    """
    entries = await api.entries("ha_ai")
    if entries and reload:
        await api.reload_entry(entries[0]["entry_id"])
    if not entries:
        log("Creating the ha_ai entry with its defaults")
        deadline = time.monotonic() + ENTRY_TIMEOUT
        # The settings form with its defaults, then the LLM step: no LLM.
        steps = ({}, {"llm_provider": "none"})
        while (result := await api.run_flow("ha_ai", *steps))["type"] != "create_entry":
            if time.monotonic() > deadline:
                msg = f"ha_ai flow aborted: {result.get('reason')}"
                raise DevEnvError(msg)
            await asyncio.sleep(0.5)
    return await api.wait_entry_loaded("ha_ai", ENTRY_TIMEOUT)


def integration_unavailable_message(err: IntegrationUnavailableError) -> str:
    """Explain why the ha_ai flow could not start, with where to look."""
    if not (INTEGRATION_DIR / "manifest.json").exists():
        why = f"{INTEGRATION_DIR.relative_to(REPO_ROOT)}/manifest.json does not exist"
    else:
        why = "the integration or its config flow failed to import (see the log)"
    return f"ha_ai config flow unavailable ({err}): {why}"


# --------------------------------------------------------------------------
# A whole environment
# --------------------------------------------------------------------------


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

    @property
    def base_url(self) -> str:
        """Return the URL Home Assistant serves."""
        return f"http://{LOOPBACK}:{self.http_port}"

    async def restart_hass(self) -> None:
        """Start Home Assistant again, as its supervisor would on a restart."""
        await self.hass.stop()
        self.group.services.remove(self.hass)
        self.hass = await start_hass(
            self.group,
            self.config_dir,
            self.run_dir / "hass.log",
            self.echo,
            append=True,
        )
        await wait_for_http(self.api.session, self.base_url, self.hass, START_TIMEOUT)
        await self.api.wait_running(START_TIMEOUT)


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
) -> AsyncIterator[Environment]:
    """Start mosquitto and Home Assistant in ``run_dir``; stop both on exit.

    Yields once Home Assistant is running and authenticated; the caller
    creates the config entries it needs. ``extra_yaml`` goes into
    configuration.yaml.
    """
    config_dir = run_dir / "config"
    async with ServiceGroup() as group, aiohttp.ClientSession() as session:
        log(f"Starting mosquitto on {LOOPBACK}:{mqtt_port}")
        await start_mosquitto(group, run_dir / "mosquitto", mqtt_port)
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
                for group in _ACTIVE_GROUPS:
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


# --------------------------------------------------------------------------
# scripts/develop
# --------------------------------------------------------------------------


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
    simulation = zigbee2mqtt_sim.build(zigbee2mqtt_sim.load_devices())
    async with environment(
        run_dir,
        http_port,
        mqtt_port,
        state,
        debug=True,
        echo=ha_log_filter(verbose=args.verbose),
        extra_yaml=zigbee2mqtt_sim.demo_automation_yaml(simulation),
    ) as env:
        save_state(state_path, state)
        if env.onboarded_now:
            await finish_onboarding(env.api)
        moved = await ensure_mqtt_entry(env.api, mqtt_port, state.get("mqtt_port"))
        state["mqtt_port"] = mqtt_port
        save_state(state_path, state)
        # Before the ha_ai entry: on a fresh instance HA AI's first judgement
        # then already sees the devices and their entities.
        await simulate_zigbee2mqtt(env.api, mqtt_port, simulation)
        problem = await ha_ai_problem(env.api, reload=moved)
        print_banner(
            env, problem, foreground=not args.check, zigbee=zigbee_line(simulation)
        )
        if args.check:
            if problem:
                return 1
            return 0 if await check_zigbee(env.api, simulation) else 1
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


async def ha_ai_problem(api: HassApi, *, reload: bool = False) -> str | None:
    """Ensure the ha_ai entry; describe what is wrong instead of failing.

    While the integration is being written it may not load yet; Home Assistant
    keeps running so that the developer can fix it and restart.
    """
    try:
        await ensure_ha_ai_entry(api, reload=reload)
    except IntegrationUnavailableError as err:
        return integration_unavailable_message(err)
    except DevEnvError as err:
        return f"ha_ai entry not ready: {err}"
    return None


def print_banner(
    env: Environment,
    problem: str | None,
    *,
    foreground: bool,
    zigbee: str | None = None,
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
    if problem:
        lines.append(f"PROBLEM:        {problem}")
    if foreground:
        lines.append("Ctrl-C stops everything.")
    print("\n".join(lines), flush=True)


# --------------------------------------------------------------------------
# Simulated Zigbee2MQTT (scripts/zigbee2mqtt_sim.py)
# --------------------------------------------------------------------------

DISCOVERY_TIMEOUT = 30.0
# HA AI judges 10 s after the last change, once Home Assistant has started.
ZIGBEE_CHECK_TIMEOUT = 30.0
# HA AI's entities: (key, entity id on a fresh instance, friendly name)
HA_AI_ENTITIES = (
    ("devices", "sensor.ha_ai_zigbee_devices", "HA AI Zigbee devices"),
    ("bridge", "binary_sensor.ha_ai_zigbee2mqtt_bridge", "HA AI Zigbee2MQTT bridge"),
    ("unused", "sensor.ha_ai_unused_capabilities", "HA AI Unused capabilities"),
)
# Loaded entities of the mqtt platform that are available.
AVAILABLE_MQTT_ENTITIES = (
    "{{ integration_entities('mqtt') | reject('is_state', 'unavailable') "
    "| list | count }}"
)


def zigbee_line(simulation: zigbee2mqtt_sim.Simulation) -> str:
    """Describe the simulated Zigbee2MQTT for the banner."""
    line = f"simulated: {simulation.summary()}"
    if demo := zigbee2mqtt_sim.demo_automation(simulation):
        line += f"; automation {demo[0]!r} uses {demo[1]}"
    return line


async def simulate_zigbee2mqtt(
    api: HassApi, mqtt_port: int, simulation: zigbee2mqtt_sim.Simulation
) -> None:
    """Publish what Zigbee2MQTT would, then wait for the discovered entities.

    Everything is retained and published again on every run: the broker keeps
    nothing across runs (``persistence false``).
    """
    log(f"Simulating Zigbee2MQTT: {simulation.summary()}")
    try:
        await asyncio.to_thread(
            zigbee2mqtt_sim.publish, LOOPBACK, mqtt_port, simulation.messages
        )
    except (OSError, TimeoutError) as err:
        msg = f"publishing the simulated Zigbee2MQTT failed: {err}"
        raise DevEnvError(msg) from err
    expected = sum(entity.enabled for entity in simulation.entities)
    deadline = time.monotonic() + DISCOVERY_TIMEOUT
    while (
        available := int(
            await api.request(
                "POST", "/api/template", {"template": AVAILABLE_MQTT_ENTITIES}
            )
        )
    ) < expected:
        if time.monotonic() > deadline:
            log(
                f"Only {available} of {expected} discovered MQTT entities are "
                f"available after {DISCOVERY_TIMEOUT:.0f} s; see the log"
            )
            return
        await asyncio.sleep(0.25)


def find_state(states: list[JSON], entity_id: str, friendly_name: str) -> JSON | None:
    """Return the live state of an entity, by entity id or by friendly name.

    An old config dir may hold a stale registry entry under the plain entity id
    (restored, unavailable), which moves the live entity to ``<id>_2``.
    """
    matches = [
        state
        for state in states
        if state["entity_id"] == entity_id
        or state["attributes"].get("friendly_name") == friendly_name
    ]
    matches.sort(
        key=lambda state: (
            bool(state["attributes"].get("restored")),
            state["entity_id"] != entity_id,
        )
    )
    return matches[0] if matches else None


def zigbee_problem(
    found: dict[str, JSON | None], simulation: zigbee2mqtt_sim.Simulation
) -> str | None:
    """Say what the HA AI entities do not show yet, or None when all is well."""
    present = {key: value for key, value in found.items() if value is not None}
    if missing := sorted(found.keys() - present.keys()):
        return f"HA AI entities not found: {', '.join(missing)}"
    devices, bridge, unused = present["devices"], present["bridge"], present["unused"]
    problems = []
    expected = str(len(simulation.end_devices))
    if devices["state"] != expected:
        problems.append(
            f"{devices['entity_id']} is {devices['state']!r}, not {expected!r}"
        )
    if bridge["state"] != "on":
        problems.append(f"{bridge['entity_id']} is {bridge['state']!r}, not 'on'")
    try:
        count = float(unused["state"])
    except ValueError:
        count = 0
    if count <= 0:
        problems.append(
            f"{unused['entity_id']} is {unused['state']!r}, not a number > 0"
        )
    elif not any(
        item.get("entity_id")
        for item in unused["attributes"].get("top_opportunities") or []
    ):
        problems.append(
            "no top opportunity names an entity: the discovered entities are not linked"
        )
    return "; ".join(problems) or None


async def check_zigbee(api: HassApi, simulation: zigbee2mqtt_sim.Simulation) -> bool:
    """Verify HA AI sees the simulated bridge and devices; print what it shows."""
    log("Waiting for HA AI's judgement of the simulated devices")
    start = time.monotonic()
    while True:
        states: list[JSON] = await api.request("GET", "/api/states")
        found = {
            key: find_state(states, entity_id, name)
            for key, entity_id, name in HA_AI_ENTITIES
        }
        problem = zigbee_problem(found, simulation)
        if problem is None or time.monotonic() - start > ZIGBEE_CHECK_TIMEOUT:
            break
        await asyncio.sleep(1)
    if problem:
        print(f"CHECK FAILED after {ZIGBEE_CHECK_TIMEOUT:.0f} s: {problem}", flush=True)
        return False
    lines = [f"Check passed after {time.monotonic() - start:.0f} s:"]
    lines += [
        f"  {state['entity_id']} = {state['state']}"
        for state in found.values()
        if state is not None
    ]
    unused = found["unused"] or {}
    lines.append("  top_opportunities:")
    lines += [
        f"    - {item.get('title')}  [{item.get('entity_id') or 'no entity'}]"
        for item in unused.get("attributes", {}).get("top_opportunities") or []
    ]
    print("\n".join(lines), flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """Parse the develop command line and run it."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run Home Assistant with this integration and a mosquitto.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, verify the config entries and HA AI's view of the simulated "
        "Zigbee2MQTT, stop; exit 0 when all is well",
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


if __name__ == "__main__":
    sys.exit(main())
