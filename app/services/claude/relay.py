"""The Anthropic relay: one proxied request from admission to its finished ledger row.

relay_call() checks the body, picks the credential (the machine's own for passthrough,
else the active pooled account's), writes the in_progress ledger row, sends the request
upstream and returns the status, filtered headers and a RelayBody. The body yields the
upstream bytes unchanged as they arrive, hands a copy to the meter, and in its `finally`
(normal end, upstream failure, or the client going away) closes the upstream connection
and finalises the ledger row.
"""
import json
import time
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import quote

from flask import current_app

from app.extensions import db
from app.models.pool import KIND_API_KEY, KIND_OAUTH
from app.services.claude.auth import is_proxy_token
from app.services.credentials.secrets import bearer_token
from app.services.claude.body import RelayBody, RelayContext
from app.services.claude.headers import (client_response_headers, inject_api_key, inject_oauth_token,
                                         upstream_request_headers)
from app.services.claude.ledger import admit_claude_request, record_rejected_request
from app.services.db.outage import INTEGRITY_ERRORS
from app.services.errors import InvalidInput, PayloadTooLarge, ServiceError, ServiceUnavailable, Unauthenticated
from app.services.pool import credentials as pool_credentials
from app.services.upstream.http import UpstreamBodyError, close_quietly, read_small_body, send_upstream

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
_INSPECTED_PATHS = (MESSAGES_PATH, COUNT_TOKENS_PATH)
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


@dataclass
class ProxyCall:
    """One incoming proxy request, as the view hands it over (no Flask objects inside)."""

    request_id: str
    machine: object
    method: str
    path: str
    query: str
    headers: list
    content_length: Optional[int]
    touch_machine: bool = False
    started: float = field(default_factory=time.monotonic)

    def elapsed_ms(self):
        return int((time.monotonic() - self.started) * 1000)


@dataclass
class RelayResponse:
    status: int
    headers: list
    body: RelayBody


def _too_large(limit):
    return PayloadTooLarge(f"Request body exceeds the maximum size of {limit} bytes.", code="request_too_large")


def inspect_request(method, path, body, *, content_encoding=""):
    """(model, stream) of a Messages/count_tokens request; InvalidInput when its JSON is malformed.

    A compressed body is forwarded as it came, uninspected.
    """
    if method != "POST" or path not in _INSPECTED_PATHS or content_encoding.strip().lower() not in ("", "identity"):
        return None, False
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise InvalidInput("The request body must be a JSON object.")
    model = payload.get("model")
    return (model if isinstance(model, str) else None), payload.get("stream") is True


def _headers_named(headers, lower_name):
    return [value for name, value in headers if name.lower() == lower_name]


def _passthrough_headers(call):
    """The client's headers with its own credential kept (our proxy token never goes upstream)."""
    keep = set()
    for value in _headers_named(call.headers, "authorization"):
        if not is_proxy_token(bearer_token(value)):
            keep.add("authorization")
    for value in _headers_named(call.headers, "x-api-key"):
        if not is_proxy_token(value.strip()):
            keep.add("x-api-key")
    if not keep:
        raise Unauthenticated("This machine is set to passthrough: send your own Anthropic credential "
                              "(x-api-key, or your Claude login's Authorization: Bearer).")
    return upstream_request_headers(call.headers, keep_credentials=keep)


def _pooled_headers(call, creds):
    headers = upstream_request_headers(call.headers)
    if creds.kind == KIND_API_KEY:
        return inject_api_key(headers, creds.secret)
    return inject_oauth_token(headers, creds.secret)


def _upstream_url(base, path, query):
    url = base.rstrip("/") + quote(path, safe=_PATH_SAFE)
    return f"{url}?{query}" if query else url


def _no_active_account():
    return ServiceUnavailable("No pooled Claude account is active (the pool is empty), and this machine is not "
                              "set to passthrough, so there is no credential to call Anthropic with.",
                              code="no_active_account")


def _prepare(call, read_body, config):
    """Body, model, stream flag, credential and upstream headers; raises the proxy's own errors."""
    limit = config["MAX_REQUEST_BYTES"]
    if call.content_length is not None and call.content_length > limit:
        raise _too_large(limit)
    body = read_body(limit)
    if body is None:
        raise _too_large(limit)
    encoding = ",".join(_headers_named(call.headers, "content-encoding"))
    model, stream = inspect_request(call.method, call.path, body, content_encoding=encoding)
    if call.machine.passthrough:
        return body, model, stream, None, _passthrough_headers(call)
    creds = pool_credentials.active_credentials()
    if creds is None:
        raise _no_active_account()
    return body, model, stream, creds, _pooled_headers(call, creds)


def _current_credentials(call, engine, model):
    """The active account's credential read afresh (not from the in-process cache), with its headers."""
    pool_credentials.forget_cached_credentials()
    creds = pool_credentials.active_credentials()
    if creds is None:
        exc = _no_active_account()
        record_rejected_request(engine, call, status=exc.status, error_type=exc.code, model=model)
        raise exc
    return creds, _pooled_headers(call, creds)


def relay_call(call, read_body):
    """Relay one authenticated proxy request; returns a RelayResponse or raises a ServiceError.

    `read_body(limit)` returns the request body, or None when it is longer than `limit`.
    """
    config = current_app.config
    engine = db.engine
    model = None
    try:
        body, model, stream, creds, headers = _prepare(call, read_body, config)
    except ServiceError as exc:
        record_rejected_request(engine, call, status=exc.status, error_type=exc.code, model=model)
        raise
    account_id = creds.account_id if creds else None
    try:
        admit_claude_request(engine, call, pooled_account_id=account_id, model=model, stream=stream)
    except INTEGRITY_ERRORS:
        if creds is None:
            raise
        # The cached active account was removed meanwhile (its row is gone): choose again, once.
        creds, headers = _current_credentials(call, engine, model)
        account_id = creds.account_id
        admit_claude_request(engine, call, pooled_account_id=account_id, model=model, stream=stream)
    context = RelayContext(app=current_app._get_current_object(), engine=engine, call=call,
                           model=model, stream=stream, pooled_account_id=account_id,
                           failover=bool(config["POOL_AUTO_FAILOVER"]),
                           messages=call.path == MESSAGES_PATH, count_tokens=call.path == COUNT_TOKENS_PATH)
    url = _upstream_url(config["ANTHROPIC_BASE_URL"], call.path, call.query)
    timeouts = {"connect_timeout": config["UPSTREAM_CONNECT_TIMEOUT"], "read_timeout": config["UPSTREAM_READ_TIMEOUT"]}
    try:
        response = send_upstream(call.method, url, headers, body, **timeouts)
        prefetched = b""
        if response.status_code == 401 and creds is not None and creds.kind == KIND_OAUTH:
            response, prefetched = _retry_after_refresh(response, creds, call, url, body, **timeouts)
    except ServiceError as exc:
        RelayBody.failed_before_response(context, exc)
        raise
    context.headers_at = time.monotonic()
    event_stream = "text/event-stream" in (response.headers.get("content-type") or "").lower()
    relay_body = RelayBody(context, response, prefetched=prefetched, event_stream=event_stream)
    return RelayResponse(response.status_code,
                         client_response_headers(response.raw.headers.items(), event_stream=event_stream),
                         relay_body)


def _retry_after_refresh(response, creds, call, url, body, **timeouts):
    """Upstream refused a pooled OAuth token: refresh once and resend, or relay the 401 as it came."""
    try:
        prefetched = read_small_body(response)
    except UpstreamBodyError:
        return response, b""
    fresh = pool_credentials.credentials_after_rejection(creds)
    if fresh is None:
        return response, prefetched
    close_quietly(response)
    headers = _pooled_headers(call, fresh)
    return send_upstream(call.method, url, headers, body, **timeouts), b""


