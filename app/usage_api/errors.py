"""The usage API's errors: {"error": {"code", "message"}} (app.errors.render_json_error)."""
from werkzeug.exceptions import HTTPException

from app.errors import describe, render_json_error
from app.services.errors import ServiceError
from app.usage_api import bp


@bp.errorhandler(ServiceError)
@bp.errorhandler(HTTPException)
def render_usage_error(exc):
    """Render a domain or HTTP error raised by a usage API view in the JSON error shape."""
    return render_json_error(describe(exc))
