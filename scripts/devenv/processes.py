"""Child processes (mosquitto, hass): started as a group, stopped with their parent."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Self

from .broker_acl import BrokerUser, locked_down_config
from .common import HA_LOG_LINE, LOOPBACK, STOP_TIMEOUT, DevEnvError, log


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
        ACTIVE_GROUPS.append(self)
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
        ACTIVE_GROUPS.remove(self)
        stopping.result()
        if cancelled:
            raise asyncio.CancelledError

    async def start(  # noqa: PLR0913 - each knob is used by a caller
        self,
        name: str,
        command: list[str],
        log_path: Path,
        echo: Callable[[str], bool] | None = None,
        *,
        append: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> Service:
        """Start ``command`` in its own session, output to ``log_path``.

        Its own session keeps the terminal's Ctrl-C away from the child, so this
        script decides the order of shutdown. The child writes straight to the
        file, not to a pipe, so it never depends on this process reading (a
        pipe would break, and stall the child, if this process were killed).
        Lines accepted by ``echo`` are also shown on stderr. ``env`` replaces
        this process's environment for the child.
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
                env=env,
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


ACTIVE_GROUPS: list[ServiceGroup] = []


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


async def start_mosquitto(
    group: ServiceGroup,
    run_dir: Path,
    port: int,
    users: Sequence[BrokerUser] = (),
    *,
    persistence: bool = False,
) -> Service:
    """Start a private mosquitto on loopback ``port`` and wait until it listens.

    With ``users`` it is locked down: no anonymous clients, those users with
    their passwords, each allowed only the topics of its ACL lines. With
    ``persistence`` it keeps its sessions, subscriptions and queued messages in
    ``run_dir`` across a restart, as an installed broker does; a second start
    in the same ``run_dir`` appends to its log.
    """
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto).exists():
        raise DevEnvError("mosquitto is not installed (see scripts/_env.sh)")
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "mosquitto.conf"
    access = (
        await locked_down_config(run_dir, users) if users else "allow_anonymous true\n"
    )
    # Started as root, mosquitto drops to the `mosquitto` user, which could not
    # write its database in ``run_dir``: it stays the user who started it.
    kept = (
        f"true\npersistence_location {run_dir}/\nuser {getpass.getuser()}"
        if persistence
        else "false"
    )
    config.write_text(
        f"listener {port} {LOOPBACK}\n{access}persistence {kept}\n",
        encoding="utf-8",
    )
    service = await group.start(
        "mosquitto",
        [mosquitto, "-c", str(config)],
        run_dir / "mosquitto.log",
        append=persistence,
    )
    await wait_for_port(service, port, 10)
    return service
