"""Guards for the dashboard blueprints: who may call a route, the CSRF check, response headers.

CSRF is enforced here, blueprint by blueprint, rather than app-wide (config sets
WTF_CSRF_CHECK_DEFAULT = False): the token-authenticated surfaces (/anthropic, /v1, /usage,
the CLI API, skills) carry no cookies, so they have nothing to protect and must not ask for
a token. Every state-changing request (POST, PUT, PATCH, DELETE) to a dashboard route must
carry the token, in the `csrf_token` form field or the `X-CSRFToken` header; sign-in included.
"""
from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from app.extensions import csrf
from app.services.errors import PermissionDenied, Unauthenticated

# Dashboard requests are small forms and JSON objects; nothing needs more than this.
MAX_BODY_BYTES = 256 * 1024

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def public(view):
    """Mark a view as reachable signed out (it is still CSRF-checked when it changes state)."""
    view.dashboard_public = True
    return view


def _is_public():
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "dashboard_public", False))


def limit_body():
    """Refuse oversized bodies early (413) instead of parsing them."""
    request.max_content_length = MAX_BODY_BYTES
    request.max_form_memory_size = MAX_BODY_BYTES


def api_guard(*, admin=False):
    """before_request for JSON blueprints: 401 signed out, 403 for non-admins, then CSRF."""
    def guard():
        if not _is_public():
            if not current_user.is_authenticated:
                raise Unauthenticated("Sign in to use the dashboard API.")
            if admin and not current_user.is_admin:
                raise PermissionDenied("Only administrators may do this.")
        csrf.protect()
    return guard


def page_guard(*, admin=False):
    """before_request for page blueprints: redirect to sign-in, 403 for non-admins, then CSRF."""
    def guard():
        if not _is_public():
            if not current_user.is_authenticated:
                return redirect(url_for("dashboard.pages.login", next=_next_target()))
            if admin and not current_user.is_admin:
                raise PermissionDenied("Only administrators may see this page.")
        csrf.protect()
        return None
    return guard


def _next_target():
    """Where to come back after signing in: the page asked for, if it was a plain GET."""
    if request.method != "GET":
        return None
    return request.full_path.rstrip("?")


def safe_next(target):
    """`target` if it is a path inside this app, else None (no open redirects)."""
    if not target or not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return request.script_root + target


def secure_headers(response):
    """after_request: nothing cached, no framing, no sniffing, a strict CSP on pages."""
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
