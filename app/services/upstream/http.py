"""Upstream HTTP for both relays: ONE requests.Session per process, bodies read as they arrive.

The session keeps a connection pool sized for many concurrent streams (no blocking when it
is full, no retries), sends no headers of its own, keeps no cookies and ignores proxy
settings from the environment. Requests go straight to its transport adapter: the Session's
per-request work (hooks, cookie extraction, redirect resolution) would do nothing here, as
redirects are relayed, not followed.

Bodies are read as they arrive (PROTOCOLS §5.1): chunked bodies chunk by chunk, others with
read1(). The Anthropic relay passes bytes on undecoded (iter_raw_body); the OpenAI relay reads
decoded bytes (iter_decoded_body) because it inspects and rewrites events. drain_for_reuse()
reads the end of a finished chunked body so its keep-alive connection returns to the pool.
"""
import http.cookiejar
import socket
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from app.services.errors import UpstreamTimeout, UpstreamUnreachable

READ_SIZE = 64 * 1024
POOL_MAXSIZE = 2000
DRAIN_SECONDS = 0.5     # how long drain_for_reuse() waits for the rest of a body
DRAIN_BYTES = 65536     # and how much of it it reads before giving up on reusing the connection
_session = None


class UpstreamBodyError(Exception):
    """The upstream body broke off mid-way; `timed_out` when it went silent too long."""

    def __init__(self, message, *, timed_out):
        super().__init__(message)
        self.timed_out = timed_out


def upstream_session():
    """This process's Session (created on first use, i.e. after the worker has forked)."""
    global _session
    if _session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy/netrc lookups per request; upstreams are configured explicitly
        session.headers.clear()
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=32, pool_maxsize=POOL_MAXSIZE, pool_block=False, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _session = session
    return _session


def send(method, url, headers, body, *, timeout):
    """Send one request and return the response with its body unread; requests' exceptions pass through."""
    prepared = requests.PreparedRequest()
    prepared.prepare(method=method, url=url, headers=headers, data=body or None)
    return upstream_session().get_adapter(url).send(prepared, stream=True, timeout=timeout)


def is_timeout(exc):
    """Whether a requests exception means the upstream was too slow (not unreachable)."""
    return isinstance(exc, requests.Timeout) or any(isinstance(a, ReadTimeoutError) for a in exc.args)


def send_upstream(method, url, headers, body, *, connect_timeout, read_timeout, service="The Anthropic API"):
    """send(), with failures as the client's errors: UpstreamTimeout (504) when connecting or
    waiting for the response headers takes too long, UpstreamUnreachable (502) otherwise."""
    try:
        return send(method, url, headers, body, timeout=(connect_timeout, read_timeout))
    except requests.Timeout:
        raise UpstreamTimeout(f"{service} did not answer within {read_timeout:g} seconds.",
                              code="upstream_timeout") from None
    except requests.RequestException as exc:
        raise UpstreamUnreachable(f"{service} could not be reached ({type(exc).__name__}).",
                                  code="upstream_unreachable") from None


def iter_raw_body(response):
    """Yield the response body's bytes exactly as received (undecoded), as soon as they arrive."""
    raw = response.raw
    try:
        if raw.chunked and raw.supports_chunked_reads():
            yield from raw.read_chunked(READ_SIZE, decode_content=False)
            return
        while True:
            data = raw.read1(READ_SIZE, decode_content=False)
            if not data:
                return
            yield data
    except (ReadTimeoutError, socket.timeout) as exc:
        raise UpstreamBodyError("upstream went silent mid-body", timed_out=True) from exc
    except (Urllib3Error, OSError) as exc:
        raise UpstreamBodyError(f"upstream body broke off ({type(exc).__name__})", timed_out=False) from exc


def iter_decoded_body(response):
    """The body as it arrives, content-decoded: one HTTP chunk at a time, or whatever one read returns.
    urllib3's own errors pass through (the caller tells a stall from a reset)."""
    raw = response.raw
    if raw.chunked and raw.supports_chunked_reads():
        yield from raw.read_chunked(decode_content=True)
        return
    while True:
        data = raw.read1(READ_SIZE)
        if not data:
            return
        yield data


def read_small_body(response, limit=1024 * 1024):
    """Read a (small) body completely, e.g. an error to inspect before relaying it."""
    parts, size = [], 0
    for chunk in iter_raw_body(response):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(parts)


def drain_for_reuse(response, chunks):
    """Read what is left of a chunked body (from `chunks`, its reader) within DRAIN_SECONDS and
    DRAIN_BYTES, so that urllib3 returns the connection to its pool. True if it did."""
    raw = response.raw
    if not raw.chunked:
        return False
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    previous = sock.gettimeout()
    deadline = time.monotonic() + DRAIN_SECONDS
    total = 0
    try:
        sock.settimeout(DRAIN_SECONDS)
        for data in chunks:
            total += len(data)
            if total > DRAIN_BYTES or time.monotonic() > deadline:
                return False
        return raw.connection is None  # urllib3 released it to the pool at the end of the body
    except Exception:  # noqa: BLE001 - a timeout, a reset, a malformed end: the connection is just closed
        return False
    finally:
        try:
            sock.settimeout(previous)
        except OSError:
            pass


def close_quietly(response):
    """Close an upstream response; an unfinished one takes its connection down with it."""
    try:
        response.close()
    except Exception:  # closing a broken connection may itself fail; nothing left to do
        pass
