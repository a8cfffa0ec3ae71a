"""Dashboard error handlers: JSON ({"error": {"code", "message", "fields"?}}) for the API, HTML for pages."""
import logging

from flask import current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import ErrorInfo, describe, render_json_error
from app.extensions import db
from app.middleware import redact_path
from app.services.db.outage import is_database_unavailable
from app.services.errors import ServiceError

logger = logging.getLogger("hepgg.dashboard")

CSRF_HINT = ("Send the session's CSRF token in the X-CSRFToken header (GET /api/v1/ai/csrf-token) "
             "or the csrf_token form field.")


def _info(exc):
    db.session.rollback()
    if isinstance(exc, CSRFError):
        return ErrorInfo(400, f"CSRF check failed: {exc.description} {CSRF_HINT}", "csrf_failed")
    return describe(exc)


def _json_error(exc):
    return render_json_error(_info(exc))


def _page_error(exc):
    info = _info(exc)
    if isinstance(exc, CSRFError):
        info.message = (f"The form had expired or came from elsewhere ({exc.description}). "
                        "Reload the page and try again.")
    response = render_template("dashboard/error.html", info=info)
    return response, info.status, info.headers


def _page_unexpected(exc):
    try:
        db.session.rollback()
    except Exception:  # the database is away: nothing to roll back
        pass
    if is_database_unavailable(exc):
        # Rendered without the context processors: Flask-Login's would look up the user in the database.
        info = describe(exc)
        page = current_app.jinja_env.get_template("dashboard/unavailable.html").render(info=info)
        return page, info.status, info.headers
    logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, redact_path(request.path),
                 exc_info=(type(exc), exc, exc.__traceback__))
    return render_template("dashboard/error.html",
                           info=ErrorInfo(500, "Something went wrong on our side.", "internal_error")), 500


def register_json(bp):
    """Render the blueprint's errors in the dashboard API's JSON shape."""
    bp.register_error_handler(ServiceError, _json_error)
    bp.register_error_handler(HTTPException, _json_error)


def register_pages(bp):
    """Render the blueprint's errors as an HTML page with the right status."""
    bp.register_error_handler(ServiceError, _page_error)
    bp.register_error_handler(HTTPException, _page_error)
    bp.register_error_handler(Exception, _page_unexpected)
