"""ccas CLI API blueprint: /api/v1/ai/cli/... authenticated by the ccas_ account key (SPEC §7).

This surface never uses the dashboard's session cookie or CSRF token: every route reads
`Authorization: Bearer ccas_...` through `auth.require_account_key`.
"""
from flask import Blueprint

bp = Blueprint("cli_api", __name__, url_prefix="/api/v1/ai/cli")

from app.cli_api import errors, routes  # noqa: E402,F401  (attach handlers and routes to bp)
