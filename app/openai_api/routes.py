"""Routes of the OpenAI-compatible API; the work is in app.services (llm_access, openai_relay)."""
from flask import Response, current_app, g, jsonify, request

from app.middleware import current_request_id, new_request_id
from app.openai_api import bp
from app.openai_api.auth import require_llm_key
from app.services.openai import access as llm_access
from app.services.openai import chat as openai_chat
from app.services.errors import PayloadTooLarge

OWNED_BY = "hep-gg"


def _model_object(model):
    return {"id": model.name, "object": "model", "created": int(model.created_at.timestamp()),
            "owned_by": OWNED_BY}


def _request_body():
    """The raw body, refused with 413 past MAX_REQUEST_BYTES (also for bodies without a length)."""
    limit = current_app.config["MAX_REQUEST_BYTES"]
    too_large = PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.", code="request_too_large")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    if request.content_length is None:
        # werkzeug cuts a chunked body at max_content_length without an error: one byte more tells.
        request.max_content_length = limit + 1
    body = request.get_data(cache=False)
    if len(body) > limit:
        raise too_large
    return body


@bp.get("/v1/models")
@require_llm_key
def list_models():
    return jsonify(object="list", data=[_model_object(m) for m in llm_access.callable_models(g.llm_key)])


@bp.get("/v1/models/<path:model_id>")
@require_llm_key
def get_model(model_id):
    return jsonify(_model_object(llm_access.resolve_model(g.llm_key, model_id)))


@bp.post("/v1/chat/completions")
@require_llm_key
def chat_completions():
    chat = openai_chat.parse_chat_request(_request_body())
    target = llm_access.resolve_model(g.llm_key, chat.model)
    reply = openai_chat.relay_chat(g.llm_key, target, chat, request_id=current_request_id() or new_request_id(),
                                    user_agent=request.headers.get("User-Agent"))
    return Response(reply.body, status=reply.status, headers=reply.headers, content_type=reply.content_type,
                    direct_passthrough=True)
