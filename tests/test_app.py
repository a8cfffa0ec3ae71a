"""The factory, configuration, blueprints, the /ai mirror, /healthz and wsgi.py."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import url_for

import config as config_module
from app import create_app
from app.extensions import db

REPO = Path(__file__).resolve().parent.parent


def test_every_surface_has_its_blueprint(app):
    assert {"health", "proxy", "openai_api", "usage_api", "dashboard", "skills"} <= set(app.blueprints)


def test_postgres_urls_from_a_paas_are_accepted():
    assert config_module.normalize_database_url("postgres://u:p@h:5432/d") == "postgresql+psycopg2://u:p@h:5432/d"
    assert config_module.normalize_database_url("postgresql://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert config_module.normalize_database_url("sqlite:////x/y.db") == "sqlite:////x/y.db"


def test_bad_numbers_in_the_environment_fail_loudly(monkeypatch):
    monkeypatch.setenv("MAX_REQUEST_BYTES", "lots")
    with pytest.raises(RuntimeError, match="MAX_REQUEST_BYTES must be an integer"):
        config_module._env_int("MAX_REQUEST_BYTES", 1)
    monkeypatch.setenv("DEFAULT_MONTHLY_CAP_USD", "-3")
    with pytest.raises(RuntimeError, match="non-negative"):
        config_module._env_decimal("DEFAULT_MONTHLY_CAP_USD", "20")


def test_secret_key_is_required_outside_the_embedded_database():
    class PgNoSecret(config_module.TestConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://postgres@127.0.0.1:1/none"

    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(PgNoSecret)


def test_embedded_setup_keeps_a_private_secret_key_in_instance(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path / "instance")

    class NoSecret(config_module.TestConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/x.sqlite3"

    first = create_app(NoSecret).config["SECRET_KEY"]
    second = create_app(NoSecret).config["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert first == second and len(first) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_session_cookies_are_secure_outside_development(monkeypatch):
    assert config_module.Config.SESSION_COOKIE_HTTPONLY is True
    assert config_module.Config.SESSION_COOKIE_SAMESITE == "Lax"
    code = ("import config; print(config.Config.SESSION_COOKIE_SECURE)")
    for env, expected in (("production", "True"), ("development", "False")):
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                             env={**os.environ, "APP_ENV": env})
        assert out.stdout.strip() == expected


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["X-Request-Id"].startswith("req_")


def test_healthz_is_503_when_the_database_is_unreachable():
    class Unreachable(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://postgres@127.0.0.1:1/nothing"
        SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"connect_timeout": 2}}

    broken = create_app(Unreachable)
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_every_route_is_mirrored_under_ai(client):
    assert client.get("/ai/healthz").get_json() == client.get("/healthz").get_json()
    assert client.get("/ai/healthz").status_code == 200


def test_links_generated_under_the_ai_prefix_keep_it():
    mirror_app = create_app(config_module.TestConfig)

    @mirror_app.route("/link-probe")
    def link_probe():
        return url_for("health.healthz")

    probe = mirror_app.test_client()
    assert probe.get("/link-probe").get_data(as_text=True) == "/healthz"
    assert probe.get("/ai/link-probe").get_data(as_text=True) == "/ai/healthz"


def test_a_path_that_merely_starts_with_ai_is_not_the_mirror(client):
    assert client.get("/aihealthz").status_code == 404


def test_unknown_paths_answer_in_each_familys_error_shape(client):
    anthropic = client.get("/anthropic")
    assert anthropic.status_code == 404
    body = anthropic.get_json()
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert body["request_id"] == anthropic.headers["X-Request-Id"]
    openai = client.get("/v1/unknown")
    assert openai.status_code == 404
    assert set(openai.get_json()["error"]) == {"message", "type", "param", "code"}
    plain = client.get("/nope")
    assert plain.status_code == 404 and plain.get_json()["error"]["code"] == "not_found"


def test_unhandled_errors_roll_back_and_answer_500_in_shape(app):
    class Boom(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    boom_app = create_app(Boom)

    @boom_app.route("/v1/boom")
    def boom():
        raise RuntimeError("kaput")

    response = boom_app.test_client().get("/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["type"] == "server_error"
    assert "kaput" not in response.get_data(as_text=True)


def test_wsgi_patches_gevent_before_anything_else_and_builds_the_app(app):
    code = (
        "import sys, wsgi, gevent.monkey\n"
        "assert gevent.monkey.is_module_patched('socket')\n"
        "assert gevent.monkey.is_module_patched('ssl')\n"
        "print(type(wsgi.app).__name__)\n"
    )
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "x" * 32}
    out = subprocess.run([sys.executable, "-W", "error::gevent.monkey.MonkeyPatchWarning", "-c", code],
                         cwd=REPO, capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "HepFlask"


def test_the_session_is_bound_to_the_configured_database(app):
    assert str(db.engine.url).startswith(app.config["SQLALCHEMY_DATABASE_URI"].split("://")[0])
