"""OpenAI-compatible API blueprint: /v1/chat/completions, /v1/models (SPEC §4)."""
from flask import Blueprint

bp = Blueprint("openai_api", __name__)
