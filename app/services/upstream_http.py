"""Upstream HTTP for the relay: one requests.Session per process, raw bodies read as they arrive.

The session keeps a connection pool sized for many concurrent streams (no blocking when it
is full, no retries), sends no headers of its own, keeps no cookies and ignores proxy
settings from the environment. Bodies are read undecoded: chunked bodies chunk by chunk,
others with read1(), so each byte is handed on as soon as it is received (PROTOCOLS §5.1).
"""
import http.cookiejar
import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from app.services.errors import UpstreamTimeout, UpstreamUnreachable

READ_SIZE = 64 * 1024
POOL_MAXSIZE = 2000

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
        session.trust_env = False  # no proxy/netrc lookups per request
        session.headers.clear()
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=POOL_MAXSIZE, pool_block=False, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _session = session
    return _session


def send_upstream(method, url, headers, body, *, connect_timeout, read_timeout):
    """Send one request and return the response with its body unread.

    Raises UpstreamTimeout (504) when connecting or waiting for the response headers takes
    too long, UpstreamUnreachable (502) when the upstream cannot be reached at all.
    """
    prepared = requests.PreparedRequest()
    prepared.prepare(method=method, url=url, headers=headers, data=body or None)
    try:
        # Straight to the transport adapter: the Session's per-request work (hooks, cookie
        # extraction, redirect resolution) does nothing here, as redirects are relayed, not followed.
        return upstream_session().get_adapter(url).send(prepared, stream=True,
                                                        timeout=(connect_timeout, read_timeout))
    except requests.Timeout:
        raise UpstreamTimeout(f"The Anthropic API did not answer within {read_timeout:g} seconds.",
                              code="upstream_timeout") from None
    except requests.RequestException as exc:
        raise UpstreamUnreachable(f"The Anthropic API could not be reached ({type(exc).__name__}).",
                                  code="upstream_unreachable") from None


def iter_raw_body(response):
    """Yield the response body's bytes exactly as received, as soon as they arrive."""
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


def read_small_body(response, limit=1024 * 1024):
    """Read a (small) body completely, e.g. an error to inspect before relaying it."""
    parts, size = [], 0
    for chunk in iter_raw_body(response):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(parts)


def close_quietly(response):
    """Close an upstream response; an unfinished one takes its connection down with it."""
    try:
        response.close()
    except Exception:  # closing a broken connection may itself fail; nothing left to do
        pass
