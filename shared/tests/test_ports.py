"""Ports handed to local servers: free, never repeated, and out of the ephemeral range.

An outgoing connection (a test's many Redis clients) takes its local port from the
kernel's ephemeral range; a port drawn from there can be taken between the probe and
the server's bind, and the server then fails to start.
"""

from __future__ import annotations

import socket
from pathlib import Path

from switchboard.ports import free_port


def _ephemeral_low() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_free_distinct_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= port < _ephemeral_low() for port in ports)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
