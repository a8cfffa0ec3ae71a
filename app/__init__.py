"""The application factory: wiring only."""
import os

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module
from app import cli, dashboard, errors, health, log, routing
from app.body_deadline import BodyDeadline
from app.cli_api import bp as cli_api_bp
from app.dashboard import bp as dashboard_bp
from app.extensions import db, login_manager, migrate
from app.middleware import PrefixMirror, RequestLog, redact_path
from app.openai_api import bp as openai_bp
from app.openapi import bp as openapi_bp
from app.proxy import bp as proxy_bp
from app.services.credentials import crypto
from app.services.db import engine as db_engine
from app.services.upkeep import tasks as upkeep_tasks
from app.sessions import LeanSessionInterface
from app.skills import bp as skills_bp
from app.skills import host as skills_host
from app.usage_api import bp as usage_bp

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


class HepFlask(Flask):
    """Flask whose own exception log line never carries a token-bearing path."""

    def log_exception(self, exc_info):
        self.logger.error("exception on %s [%s]", redact_path(request.path), request.method,
                          exc_info=exc_info)


def create_app(config_object=None):
    """Build the app: config, extensions, blueprints, error handlers, CLI, WSGI middleware."""
    app = HepFlask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.from_object(config_object or config_module.Config)
    config_module.finalize(app.config)
    app.session_interface = LeanSessionInterface()

    log.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    db_engine.init_app(app)
    crypto.init_app(app)
    upkeep_tasks.init_app(app)
    errors.init_app(app)
    routing.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)

    app.wsgi_app = BodyDeadline(app.wsgi_app, app.config["REQUEST_BODY_TIMEOUT"])
    # The skills-host switch sits outside the /ai mirror: that host's root belongs to the registry.
    app.wsgi_app = RequestLog(skills_host.wrap(PrefixMirror(app.wsgi_app), app.config.get("SKILLS_HOST")))
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    return app


def _register_blueprints(app):
    app.register_blueprint(health.bp)
    app.register_blueprint(proxy_bp)
    app.register_blueprint(openai_bp)
    app.register_blueprint(usage_bp)
    app.register_blueprint(dashboard_bp)
    dashboard.init_app(app)
    app.register_blueprint(skills_bp)
    app.register_blueprint(cli_api_bp)
    app.register_blueprint(openapi_bp)
