"""OpenAPI blueprint: the description of every programmatic surface at /openapi.json, readable at /docs."""
from flask import Blueprint

bp = Blueprint("openapi", __name__, template_folder="templates")

from app.openapi import routes  # noqa: E402,F401  (registers the routes on bp)
