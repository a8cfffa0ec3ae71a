"""Dashboard blueprint: cookie-auth JSON under /api/v1/ai/ and server-rendered pages (SPEC §6)."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)
