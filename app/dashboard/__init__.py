"""Dashboard blueprint: cookie-auth JSON under /api/v1/ai/ and server-rendered pages (SPEC §6).

`bp` nests four blueprints, each with its own guard (app/dashboard/security.py):
`api` and `admin_api` (JSON under /api/v1/ai), `pages` (/dashboard) and `admin_pages`
(/dashboard/admin). Templates and static files (hand-written CSS, a little vanilla JS)
live beside this module; nothing is built or fetched from elsewhere.
"""
from flask import Blueprint, redirect, url_for

from app.dashboard import admin_api, admin_pages, api, errors, filters, pages, security, session
from app.dashboard import pages_credentials, pages_skills  # noqa: F401  (add their routes to pages.bp)
from app.extensions import csrf

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/dashboard/static")
bp.before_request(security.limit_body)
bp.after_request(security.secure_headers)

for child in (api.bp, admin_api.bp):
    errors.register_json(child)
    bp.register_blueprint(child)
for child in (pages.bp, admin_pages.bp):
    errors.register_pages(child)
    bp.register_blueprint(child)


@bp.get("/")
def home():
    """The site root goes to the dashboard."""
    return redirect(url_for("dashboard.pages.overview"))


def init_app(app):
    """Wire sign-in (Flask-Login), CSRF (checked by the dashboard's own guards) and template filters."""
    session.init_app(app)
    csrf.init_app(app)
    filters.init_app(app)
