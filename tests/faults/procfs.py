"""What a worker process holds, read from /proc: its open descriptors and TCP connections.

A gunicorn gevent worker serves each client connection in one greenlet that closes the
client socket when it ends (gunicorn's AsyncWorker.handle), and a relay holds its upstream
connection only while it streams (or idle in the pool). So the connections a worker still
has — to the app's port and to an upstream — show whether a request left a greenlet or an
upstream connection behind, without any inspection hook in the app.
"""
import os

LISTEN = "0A"
CLOSE_WAIT = "08"


def _socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _table_inodes(pid, table):
    try:
        with open(f"/proc/{pid}/net/{table}") as handle:
            lines = handle.read().splitlines()[1:]
    except OSError:
        return set()
    column = 6 if table == "unix" else 9
    return {line.split()[column] for line in lines if len(line.split()) > column}


def orphaned_sockets(pid):
    """Sockets the process still holds whose connection the kernel has already torn down (e.g. reset
    by the peer): a descriptor nobody closed."""
    known = set()
    for table in ("tcp", "tcp6", "udp", "udp6", "unix"):
        known |= _table_inodes(pid, table)
    return sorted(_socket_inodes(pid) - known)


def _port(address):
    return int(address.rsplit(":", 1)[1], 16)


def tcp_connections(pid):
    """(local port, remote port, state) of every non-listening TCP socket the process holds."""
    inodes = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes and fields[3] != LISTEN:
                found.append((_port(fields[1]), _port(fields[2]), fields[3]))
    return found


def connections_to(pid, port):
    """The process's connections to a remote port (an upstream fake, the database)."""
    return [c for c in tcp_connections(pid) if c[1] == port]


def client_connections(pid, port):
    """The process's accepted connections on its own listening port: one per live request greenlet."""
    return [c for c in tcp_connections(pid) if c[0] == port]


def leftovers(pid, app_port):
    """What a finished request must not leave behind in the worker: client connections (request
    greenlets), connections the peer closed but the worker did not (CLOSE_WAIT), orphaned sockets."""
    connections = tcp_connections(pid)
    found = {"client connections": [c for c in connections if c[0] == app_port],
             "half-closed": [c for c in connections if c[2] == CLOSE_WAIT],
             "orphaned sockets": orphaned_sockets(pid)}
    return {name: items for name, items in found.items() if items}


def open_fds(pid):
    """How many descriptors the process has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))
