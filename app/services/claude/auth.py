"""Who is calling the Anthropic proxy: the machine named by the URL's proxy token.

A bearer or x-api-key that is itself a proxy token must be the same token (then it is
dropped before forwarding); one naming a different token is refused. The machine's
last-seen time is kept in memory and written at most once a minute per machine per
process, inside the admission transaction, never as a write of its own per request.
"""
import time
from dataclasses import dataclass

from app.caches import register_cache
from app.services.credentials.secrets import PROXY_TOKEN, digest_secret, has_prefix
from app.services.db.raw_sql import Sql, read_connection
from app.services.errors import Unauthenticated

LAST_SEEN_WRITE_SECONDS = 60
_LOOKUP = Sql("SELECT id, user_id, passthrough FROM machines WHERE token_digest = :digest")
# machine id -> monotonic time its last-seen time was last written by this process
_last_seen_written = {}


@dataclass(frozen=True)
class ProxyMachine:
    """The calling machine, as much of it as the hot path needs."""

    id: int
    user_id: int
    passthrough: bool


def is_proxy_token(value):
    """True for a value shaped like one of our cct_ proxy tokens."""
    return has_prefix(value, PROXY_TOKEN)


def authenticate_proxy_call(url_token, presented=()):
    """The live machine of `url_token`, checking any tokens the client also presented.

    Raises Unauthenticated for an unknown, rotated or revoked token, and for a presented
    proxy token that differs from the URL's.
    """
    for value in presented:
        if value and is_proxy_token(value) and value != url_token:
            raise Unauthenticated("The proxy token in the request headers does not match the one in the URL.")
    if not is_proxy_token(url_token):
        raise Unauthenticated("Invalid proxy token.")
    # One indexed lookup of three columns on a connection of its own: no ORM Session on the hot path.
    with read_connection() as sql:
        row = sql.one(_LOOKUP, digest=digest_secret(url_token))
    if row is None:
        raise Unauthenticated("Invalid proxy token: it is unknown, was rotated, or its machine was revoked.")
    machine_id, user_id, passthrough = row
    return ProxyMachine(machine_id, user_id, bool(passthrough))


def last_seen_due(machine_id, *, now=None):
    """True (and remembered) when this process should write the machine's last-seen time now."""
    now = time.monotonic() if now is None else now
    written = _last_seen_written.get(machine_id)
    if written is not None and now - written < LAST_SEEN_WRITE_SECONDS:
        return False
    _last_seen_written[machine_id] = now
    return True


def forget_last_seen():
    """Drop the in-memory last-seen bookkeeping (tests; a fresh process starts empty)."""
    _last_seen_written.clear()


register_cache("machine last-seen writes", forget_last_seen)
