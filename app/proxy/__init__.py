"""Anthropic proxy blueprint: /anthropic/<proxy_token>/... (SPEC §3)."""
from flask import Blueprint

bp = Blueprint("proxy", __name__)
