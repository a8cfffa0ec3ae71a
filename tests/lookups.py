"""What a presented secret reaches, found by the production lookups themselves (not ORM twins)."""
from app.extensions import db
from app.models import LlmKey, Machine
from app.services.claude.auth import authenticate_proxy_call
from app.services.errors import Unauthenticated
from app.services.openai.access import authenticate


def machine_of(token):
    """The live machine the proxy authenticates for a proxy token, or None when the proxy refuses it."""
    try:
        found = authenticate_proxy_call(token)
    except Unauthenticated:
        return None
    return db.session.get(Machine, found.id)


def key_of(token):
    """The live LLM key the OpenAI-compatible API authenticates for an sk-hyd- secret, or None."""
    try:
        found = authenticate(f"Bearer {token}")
    except Unauthenticated:
        return None
    return db.session.get(LlmKey, found.key_id)
