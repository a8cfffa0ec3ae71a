"""The one way into the OpenAI-compatible API: `Authorization: Bearer sk-hyd-...`."""
from functools import wraps

from flask import g, request

from app.services.openai import access as llm_access


def require_llm_key(view):
    """Authenticate the request's sk-hyd- key (401 otherwise) and put its KeyContext on g.llm_key."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.llm_key = llm_access.authenticate(request.headers.get("Authorization"))
        return view(*args, **kwargs)
    return wrapped
