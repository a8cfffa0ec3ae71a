"""Errors of the CLI API, in the {"error": {"code", "message", "fields"?}} shape, and its body-size limit (413)."""
from flask import request
from werkzeug.exceptions import HTTPException

from app.cli_api import bp
from app.errors import describe, render_json_error
from app.extensions import db
from app.services.errors import ServiceError

# Everything the CLI sends is a few hundred bytes of JSON.
MAX_BODY_BYTES = 64 * 1024


@bp.before_request
def _limit_body_size():
    # Flask 3.1: reading a larger body (declared or chunked) raises 413.
    request.max_content_length = MAX_BODY_BYTES


@bp.errorhandler(ServiceError)
@bp.errorhandler(HTTPException)
def _render(exc):
    db.session.rollback()
    return render_json_error(describe(exc))
