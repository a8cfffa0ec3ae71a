"""Chat completions relayed to OpenAI-compatible upstreams, admitted and metered (SPEC §4).

The client's JSON goes upstream as it came, with only `model` swapped (and, for streams,
`stream_options.include_usage` turned on so every stream can be billed); when nothing needs
changing the client's bytes are sent untouched. Upstream HTTP is app.services.upstream.http's
one Session per process (PROTOCOLS §5.6).
"""
import json
import logging
import time
from dataclasses import dataclass

import requests
from flask import current_app

from app.models.ledger import (OUTCOME_INTERNAL_ERROR, OUTCOME_OK, OUTCOME_UPSTREAM_ERROR, OUTCOME_UPSTREAM_TIMEOUT,
                               OUTCOME_UPSTREAM_UNREACHABLE, USAGE_ESTIMATED)
from app.services.db.text import clip_text
from app.services.errors import InvalidInput, UpstreamTimeout, UpstreamUnreachable
from app.services.money import format_micro
from app.services.openai import catalogue
from app.services.openai.errors import normalize_error_body
from app.services.openai.metering import StreamMeter, generated_bytes, rewrite_completion, usage_from
from app.services.openai.stream import EventStream
from app.services.quota.admission import Ticket, admit_request
from app.services.quota.pricing import BYTES_PER_TOKEN_ESTIMATE, estimate_cost
from app.services.quota.refusal import REMAINING_HEADER
from app.services.quota.settlement import Metered
from app.services.upstream import http

logger = logging.getLogger("hepgg.openai_relay")


@dataclass
class ChatRequest:
    """A parsed chat completion request: the client's bytes and the fields we act on."""

    raw: bytes
    body: dict
    model: str
    stream: bool
    wants_usage: bool


@dataclass
class Reply:
    """What the view sends back: status, headers and a body (bytes or an iterator of bytes)."""

    status: int
    headers: dict
    body: object
    content_type: str


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_chat_request(raw):
    """Parse and check a chat completion body; InvalidInput (400) for what an upstream could not take."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("We could not parse the JSON body of your request: it must be a JSON object.",
                           code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_json")
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        raise InvalidInput("'model' is required and must be a non-empty string.",
                           code="missing_required_parameter" if model is None else "invalid_type", param="model")
    if not isinstance(messages, list):
        raise InvalidInput("'messages' is required and must be an array.",
                           code="missing_required_parameter" if messages is None else "invalid_type",
                           param="messages")
    stream, options = body.get("stream"), body.get("stream_options")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidInput("'stream' must be a boolean.", code="invalid_type", param="stream")
    if options is not None and not isinstance(options, dict):
        raise InvalidInput("'stream_options' must be an object.", code="invalid_type", param="stream_options")
    wants_usage = isinstance(options, dict) and options.get("include_usage") is True
    return ChatRequest(raw=raw, body=body, model=model, stream=stream is True, wants_usage=wants_usage)


def upstream_body(chat, upstream_model):
    """The bytes sent upstream: the client's own when nothing changes, else its JSON with `model`
    replaced (key order kept) and, for streams, include_usage on."""
    if upstream_model == chat.model and (not chat.stream or chat.wants_usage):
        return chat.raw
    body = chat.body
    body["model"] = upstream_model
    if chat.stream:
        options = body.get("stream_options")
        if isinstance(options, dict):
            options["include_usage"] = True
        else:
            body["stream_options"] = {"include_usage": True}
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # lone surrogates from \\u escapes: keep them escaped
        return json.dumps(body, separators=(",", ":")).encode()


def _upstream_headers(target, chat, request_id, user_agent):
    headers = {"Content-Type": "application/json", "Accept-Encoding": "identity",
               "Accept": "text/event-stream" if chat.stream else "application/json"}
    api_key = catalogue.upstream_api_key(target)
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    if user_agent:
        headers["User-Agent"] = user_agent
    if request_id:
        headers["X-Request-Id"] = request_id
    return headers


def relay_chat(ctx, target, chat, *, request_id, user_agent=None):
    """Admit, forward, meter and settle one chat completion; returns the Reply for the client.

    Raises QuotaExceeded (429), UpstreamUnreachable (502) or UpstreamTimeout (504) with the
    cost and remaining-allowance headers; upstream HTTP errors come back as error Replies.
    """
    admission = admit_request(Ticket(
        request_id=request_id, user_id=ctx.user_id, key_id=ctx.key_id, model_id=target.id,
        model_name=target.name, stream=chat.stream,
        estimate=estimate_cost(target.prices, chat.body, len(chat.raw))))
    job = Metered(ctx, target, chat, admission, time.perf_counter())
    config = current_app.config
    try:
        response = http.send("POST", target.upstream_base_url + "/chat/completions",
                             _upstream_headers(target, chat, request_id, user_agent),
                             upstream_body(chat, target.upstream_model),
                             timeout=(config["UPSTREAM_CONNECT_TIMEOUT"], config["UPSTREAM_READ_TIMEOUT"]))
    except requests.RequestException as exc:
        _fail(job, exc)
    except BaseException:
        job.settle(OUTCOME_INTERNAL_ERROR, status=500)
        raise
    job.first_byte()
    job.upstream_request_id = (response.headers.get("x-request-id") or "")[:128] or None
    content_type = response.headers.get("Content-Type", "")
    if chat.stream and 200 <= response.status_code < 300 and content_type.startswith("text/event-stream"):
        meter = StreamMeter(chat.model, chat.wants_usage)
        body = EventStream(current_app._get_current_object(), response, meter, job)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no",
                   REMAINING_HEADER: format_micro(admission.standing.remaining())}
        return Reply(response.status_code, headers, body, content_type)
    try:
        content = response.content
    except requests.RequestException as exc:
        _fail(job, exc)
    except BaseException:
        job.settle(OUTCOME_INTERNAL_ERROR, status=500)
        raise
    finally:
        response.close()
    return _complete(job, chat, response, content)


def _fail(job, exc):
    """Settle a request the upstream never answered and raise the 504/502 for it."""
    if http.is_timeout(exc):
        job.settle(OUTCOME_UPSTREAM_TIMEOUT, status=504, error_code="upstream_timeout")
        raise UpstreamTimeout("The model's upstream server did not answer in time.", code="upstream_timeout",
                              headers=job.headers()) from None
    job.settle(OUTCOME_UPSTREAM_UNREACHABLE, status=502, error_code="upstream_unreachable")
    raise UpstreamUnreachable("The model's upstream server could not be reached.", code="upstream_unreachable",
                              headers=job.headers()) from None


def _complete(job, chat, response, content):
    """A whole (non-stream) upstream answer: billed from its usage, model id put back."""
    status = response.status_code
    if not 200 <= status < 300:
        error = normalize_error_body(status, content)
        job.settle(OUTCOME_UPSTREAM_ERROR, status=status, error_code=error["code"] or error["type"])
        headers = job.headers()
        if response.headers.get("Retry-After"):
            headers["retry-after"] = response.headers["Retry-After"]
        return Reply(status, headers, json.dumps({"error": error}).encode(), "application/json")
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        job.settle(OUTCOME_UPSTREAM_ERROR, status=502, error_code="bad_upstream_response")
        raise UpstreamUnreachable("The model's upstream server sent a response that is not a JSON object.",
                                  code="bad_upstream_response", headers=job.headers())
    usage, error_code = usage_from(payload), None
    if usage is None:
        completion = -(-generated_bytes(payload) // BYTES_PER_TOKEN_ESTIMATE)
        usage, error_code = job.estimated_usage(completion), USAGE_ESTIMATED
    if job.upstream_request_id is None and isinstance(payload.get("id"), str):
        job.upstream_request_id = clip_text(payload["id"], 128)
    job.settle(OUTCOME_OK, status=status, usage=usage, error_code=error_code)
    return Reply(status, job.headers(), rewrite_completion(content, payload, chat.model),
                 response.headers.get("Content-Type") or "application/json")

