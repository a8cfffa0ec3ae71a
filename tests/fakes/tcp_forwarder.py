"""A TCP forwarder on 127.0.0.1 in front of a real server (PostgreSQL), which a test can cut and restore.

cut(): every forwarded connection is reset on both sides and new connections are accepted and
dropped at once, as when a database host goes down or the network between goes away;
restore(): connections are forwarded again. Threads only: no dependency on the app.
"""
import socket
import struct
import threading

_RESET = struct.pack("ii", 1, 0)


def _reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
        sock.close()
    except OSError:
        pass


class TcpForwarder:
    """Forward 127.0.0.1:<port> to (host, port); `cut()`/`restore()` switch the link off and on."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs = []
        self._cut = False
        self.accepted = 0
        self.refused = 0

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                cut = self._cut
                self.accepted += 1
                self.refused += cut
            if cut:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.append(pair)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink, pair), daemon=True).start()

    def _pump(self, source, sink, pair):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # Either side ending ends the link: the other pump's recv returns at once.
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                if pair in self._pairs:
                    self._pairs.remove(pair)
                    for sock in pair:
                        sock.close()

    def open_links(self):
        """How many forwarded connections are currently up."""
        with self._lock:
            return len(self._pairs)

    def cut(self):
        """Reset every forwarded connection and refuse new ones."""
        with self._lock:
            self._cut = True
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def restore(self):
        """Forward new connections again."""
        with self._lock:
            self._cut = False

    def stop(self):
        self.cut()
        self._listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
