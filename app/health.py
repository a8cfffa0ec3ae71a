"""GET /healthz for load balancers: 200 when the database answers, 503 otherwise."""
import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("health", __name__)
logger = logging.getLogger("hepgg.health")


@bp.route("/healthz", methods=["GET", "HEAD"])
def healthz():
    """Check the database with a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        logger.warning("health check: database unreachable (%s)", type(exc).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
