"""A tiny threaded HTTP server on 127.0.0.1 for fakes: handlers are plain functions."""
import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorded:
    """One request as the fake saw it."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body or b"null")


class FakeServer:
    """Routes (method, path without query) to handler(recorded) -> (status, headers, body bytes).

    Every request is recorded in `requests`. Use as a context manager or start()/stop().
    """

    def __init__(self):
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, dict(self.headers.items()), body)
                with fake._lock:
                    fake.requests.append(recorded)
                handler = fake.routes.get((self.command, self.path.split("?")[0]))
                if handler is None:
                    status, headers, payload = 404, {"Content-Type": "application/json"}, b'{"error":"no route"}'
                else:
                    status, headers, payload = handler(recorded)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def route(self, method, path, handler):
        self.routes[(method, path)] = handler

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def json_response(status, payload, headers=None):
    """A handler result carrying a JSON body."""
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()


def reset_connection(handler):
    """Close a handler's connection with a TCP RST (SO_LINGER 0) instead of a FIN."""
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.rfile.close()  # the socket's last reference: the descriptor is closed now
