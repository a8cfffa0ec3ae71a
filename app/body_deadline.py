"""Request bodies must arrive in time, so a client dripping its body cannot hold a worker forever.

Rule: under gunicorn's gevent workers the whole body of a request must be received within
REQUEST_BODY_TIMEOUT seconds (default 60) of the app first reading it, however it is sent
(Content-Length or chunked). When the time is up the read is interrupted and the request is
answered 408 in its API family's shape (code `request_timeout`); the bytes already received
are dropped and gunicorn closes the connection within its keep-alive time instead of reading
the rest. How much of a body is held is bounded separately by MAX_REQUEST_BYTES (413), and
request headers by gunicorn's keep-alive timeout. The deadline is a gevent timer, since a
per-read socket timeout cannot bound a body that keeps trickling in: other servers (the
werkzeug development server) are not covered.
"""
import time

from app.services.errors import RequestTimeout


def _gevent_timeout():
    try:
        from gevent import Timeout
        from gevent.monkey import is_module_patched
    except ImportError:
        return None
    return Timeout if is_module_patched("socket") else None


class _DeadlineInput:
    """wsgi.input whose reads all end by one deadline."""

    def __init__(self, stream, seconds, timeout_class):
        self._stream = stream
        self._seconds = seconds
        self._deadline = None
        self._timeout_class = timeout_class

    def _call(self, method, *args):
        if self._deadline is None:
            self._deadline = time.monotonic() + self._seconds
        remaining = self._deadline - time.monotonic()
        error = RequestTimeout(f"The request body did not arrive in time (the limit is {self._seconds:g} s).")
        if remaining <= 0:
            raise error
        with self._timeout_class(remaining, error):
            return method(*args)

    def read(self, *args):
        return self._call(self._stream.read, *args)

    def readline(self, *args):
        return self._call(self._stream.readline, *args)

    def readlines(self, *args):
        return self._call(self._stream.readlines, *args)

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class BodyDeadline:
    """WSGI middleware putting REQUEST_BODY_TIMEOUT on request bodies (gevent workers only)."""

    def __init__(self, app, seconds):
        self.app = app
        self.seconds = seconds
        self.timeout_class = _gevent_timeout() if seconds and seconds > 0 else None

    def __call__(self, environ, start_response):
        if self.timeout_class is not None and _may_have_body(environ):
            environ["wsgi.input"] = _DeadlineInput(environ["wsgi.input"], self.seconds, self.timeout_class)
        return self.app(environ, start_response)


def _may_have_body(environ):
    length = environ.get("CONTENT_LENGTH")
    return bool(length and length != "0") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
