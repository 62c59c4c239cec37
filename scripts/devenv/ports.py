"""Free TCP ports on the loopback interface for Home Assistant and mosquitto."""

from __future__ import annotations

import socket

from .common import LOOPBACK


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
