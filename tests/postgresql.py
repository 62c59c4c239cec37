"""A real PostgreSQL server for the recorder tests, in a temporary directory.

Debian's programs (`initdb`, `postgres`) make a throw-away cluster on a loopback
port; each test gets its own database in it, created and dropped around the test
as Home Assistant's own recorder tests do for a PostgreSQL URL. PostgreSQL refuses
to run as root, and tests may run as root (CI does): then the cluster belongs to,
and the server runs as, the unprivileged `postgres` user the Debian package
creates (`nobody` without it), through `setpriv`, which also stops the server
should the test run die without stopping it. The server's own time zone is far
from UTC and from Home Assistant's, so that nothing read back can lean on it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from .broker import free_port

# UTC+14: a day ahead of UTC for ten hours of each day.
SERVER_TIME_ZONE = "Pacific/Kiritimati"
START_TIMEOUT = 30.0
SKIP_HINT = "scripts/test installs it (apt-get install postgresql)"


def find_bindir() -> Path | None:
    """Return the newest of Debian's PostgreSQL program directories, if any."""
    candidates = [
        found.parent
        for found in Path("/usr/lib/postgresql").glob("*/bin/postgres")
        if found.parents[1].name.isdigit() and found.with_name("initdb").exists()
    ]
    candidates.sort(key=lambda path: int(path.parent.name), reverse=True)
    return candidates[0] if candidates else None


def driver_missing() -> bool:
    """Tell whether the recorder's PostgreSQL driver (psycopg2) is not installed."""
    return importlib.util.find_spec("psycopg2") is None


def _server_user() -> pwd.struct_passwd | None:
    """Return the user to run the server as: None for the current one (not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    pytest.skip("PostgreSQL cannot run as root and there is no unprivileged user")


@dataclass
class PostgreSQL:
    """A PostgreSQL cluster of its own, running on 127.0.0.1 until `stop`."""

    bindir: Path
    port: int = field(default_factory=free_port)
    user: pwd.struct_passwd | None = field(default_factory=_server_user)
    directory: Path = field(init=False)  # made by `start`, removed by `stop`
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the URL of the cluster's administrative database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _command(self, program: str, *args: str) -> list[str]:
        """Return the command running `program` as the server's user.

        `setpriv` (util-linux) changes the user and also ends the program when
        the test run dies without stopping it (killed, or ended by its timeout).
        """
        command = [str(self.bindir / program), *args]
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return command
        user = (
            ()
            if self.user is None
            else (
                f"--reuid={self.user.pw_uid}",
                f"--regid={self.user.pw_gid}",
                "--clear-groups",
            )
        )
        return [setpriv, *user, "--pdeathsig", "INT", "--", *command]

    def _run_options(self) -> dict[str, Any]:
        """Return how to run a program: as the server's user, in its directory."""
        options: dict[str, Any] = {"cwd": self.directory}
        if self.user is not None:
            options["env"] = {**os.environ, "HOME": str(self.directory)}
            if shutil.which("setpriv") is None:
                options.update(
                    user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[]
                )
        return options

    def start(self) -> None:
        """Make the cluster, start the server and wait until it answers.

        A server that cannot start here (no shared memory in a sandbox, say)
        skips the test with its log, rather than failing every test after it.
        """
        self.directory = Path(tempfile.mkdtemp(prefix="ha_ai_pg_"))
        data = self.directory / "data"
        log = self.directory / "server.log"
        if self.user is not None:
            os.chown(self.directory, self.user.pw_uid, self.user.pw_gid)
        initdb = subprocess.run(
            self._command(
                "initdb",
                *("-D", str(data), "-U", "postgres", "-A", "trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ),
            capture_output=True,
            check=False,
            **self._run_options(),
        )
        if initdb.returncode != 0:
            self.stop()
            pytest.skip(f"PostgreSQL's initdb failed: {initdb.stderr.decode()[-800:]}")
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                self._command(
                    "postgres",
                    *("-D", str(data), "-p", str(self.port)),
                    *("-c", "listen_addresses=127.0.0.1"),
                    *("-c", f"unix_socket_directories={self.directory}"),
                    *("-c", f"timezone={SERVER_TIME_ZONE}"),
                    *("-c", "fsync=off", "-c", "synchronous_commit=off"),
                    *("-c", "full_page_writes=off", "-c", "max_connections=30"),
                ),
                stdout=output,
                stderr=subprocess.STDOUT,
                **self._run_options(),
            )
        engine = sa.create_engine(self.url)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                try:
                    with engine.connect():
                        return
                except sa.exc.OperationalError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        said = log.read_text(errors="replace")[-800:]
                        self.stop()
                        pytest.skip(f"PostgreSQL could not be started: {said}")
                    time.sleep(0.1)
        finally:
            engine.dispose()

    def stop(self) -> None:
        """Stop the server (a fast shutdown) and remove the cluster."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """Create a new, empty database; yield its URL; drop it afterwards."""
        name = f"ha_ai_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE DATABASE {name} ENCODING 'UTF8'")
        try:
            yield f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
        finally:
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
