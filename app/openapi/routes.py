"""GET /openapi.json and GET /docs (server-rendered, self-contained: no CDN, no script)."""
from flask import current_app, jsonify, render_template

from app.openapi import bp
from app.openapi.builder import build_spec
from app.openapi.docs import docs_context

_CACHE_KEY = "hepgg.openapi"


def current_spec():
    """The description, built once per app (the routes do not change at run time)."""
    spec = current_app.extensions.get(_CACHE_KEY)
    if spec is None:
        spec = current_app.extensions[_CACHE_KEY] = build_spec(current_app)
    return spec


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description."""
    response = jsonify(current_spec())
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs")
def docs():
    """Every operation with its parameters, security, request and response schemas, as one HTML page."""
    return render_template("openapi/docs.html", **docs_context(current_spec()))
