"""Configuration, read from the environment once at import time.

Every setting a deployment may change is an environment variable (SPEC §10);
the names below are a stable interface.
"""
import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def _env_int(name, default):
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None


def _env_float(name, default):
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from None


def _env_decimal(name, default):
    raw = _env(name, default)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise RuntimeError(f"{name} must be a decimal number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise RuntimeError(f"{name} must be a non-negative number, got {raw!r}")
    return value


def _env_bool(name, default=False):
    raw = _env(name)
    if raw is None:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url):
    """Accept PaaS-style postgres:// URLs and pin plain PostgreSQL URLs to psycopg2.

    SQLAlchemy dropped the postgres:// alias, and 2.1 defaults to psycopg 3; we use psycopg2
    made cooperative under gevent by psycogreen (see wsgi.py).
    """
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


DEFAULT_SQLITE_URL = f"sqlite:///{INSTANCE_DIR / 'hepgg.sqlite3'}"


class Config:
    APP_ENV = _env("APP_ENV", "production")
    # Empty means "not configured": create_app() then falls back to a key kept in
    # instance/ for the embedded SQLite setup and refuses to start otherwise.
    SECRET_KEY = _env("SECRET_KEY")
    ENCRYPTION_KEY = _env("ENCRYPTION_KEY")

    SQLALCHEMY_DATABASE_URI = normalize_database_url(_env("DATABASE_URL", DEFAULT_SQLITE_URL))
    # Each gevent worker runs many requests at once, each taking a pooled connection for a few
    # short transactions; a pool smaller than that concurrency opens and closes a PostgreSQL
    # connection (a server process) per request under load. (SQLite keeps SQLAlchemy's defaults.)
    # No pool_pre_ping (a round trip on every checkout): app.services.db pings only connections
    # idle longer than this, or pooled before a disconnect was seen.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": _env_int("DATABASE_POOL_SIZE", 20),
                                 "max_overflow": _env_int("DATABASE_MAX_OVERFLOW", 10)}
    DATABASE_PING_AFTER_IDLE_SECONDS = float(_env("DATABASE_PING_AFTER_IDLE_SECONDS", "2"))
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    ANTHROPIC_BASE_URL = _env("ANTHROPIC_BASE_URL", "https://api.anthropic.com").rstrip("/")
    ANTHROPIC_OAUTH_TOKEN_URL = _env(
        "ANTHROPIC_OAUTH_TOKEN_URL", "https://platform.claude.com/v1/oauth/token")
    ANTHROPIC_OAUTH_USAGE_URL = _env(
        "ANTHROPIC_OAUTH_USAGE_URL", "https://api.anthropic.com/api/oauth/usage")
    # The public client id of Claude Code's OAuth app, used for refresh grants.
    ANTHROPIC_OAUTH_CLIENT_ID = _env(
        "ANTHROPIC_OAUTH_CLIENT_ID", "9d1c250a-e61b-44d9-88ed-5944d1962f5e")

    DEFAULT_MONTHLY_CAP_USD = _env_decimal("DEFAULT_MONTHLY_CAP_USD", "20")
    HEP_TOKENS_PER_USD = _env_decimal("HEP_TOKENS_PER_USD", "100")

    UPSTREAM_CONNECT_TIMEOUT = _env_float("UPSTREAM_CONNECT_TIMEOUT", 5.0)
    UPSTREAM_READ_TIMEOUT = _env_float("UPSTREAM_READ_TIMEOUT", 600.0)
    MAX_REQUEST_BYTES = _env_int("MAX_REQUEST_BYTES", 32 * 1024 * 1024)
    # The whole request body must arrive within this many seconds of its headers (408 otherwise).
    REQUEST_BODY_TIMEOUT = _env_float("REQUEST_BODY_TIMEOUT", 60.0)
    # A worker process renews its heartbeat lease six times per period; the ledger sweeper takes
    # over the rows of a worker whose lease has expired (app.services.workers, ledger_sweeper).
    WORKER_LEASE_SECONDS = _env_float("WORKER_LEASE_SECONDS", 60.0)
    # How long an SQLite statement waits for another process's write lock before giving up (503).
    SQLITE_BUSY_TIMEOUT = _env_float("SQLITE_BUSY_TIMEOUT", 15.0)

    POOL_AUTO_FAILOVER = _env_bool("POOL_AUTO_FAILOVER", False)
    SKILLS_HOST = _env("SKILLS_HOST")
    PORT = _env_int("PORT", 8000)

    # How many reverse proxies in front of the app set X-Forwarded-*; 0 trusts none.
    TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")

    # werkzeug's scrypt (n=2**15, r=8, p=1) unless a test run asks for something cheaper.
    PASSWORD_HASH_METHOD = "scrypt"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = APP_ENV != "development"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # CSRF: the dashboard blueprints call csrf.protect() themselves (app/dashboard/security.py),
    # so the token-authenticated APIs of the other blueprints are never subject to it. A token is
    # tied to the session's secret, which a sign-in replaces, so it needs no separate expiry.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    """Deterministic settings for the test suite; the database comes from TEST_DATABASE_URL."""

    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test-secret-key-not-for-production"
    ENCRYPTION_KEY = None
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        _env("TEST_DATABASE_URL", "sqlite:///" + str(INSTANCE_DIR / "test.sqlite3")))
    ANTHROPIC_BASE_URL = "http://127.0.0.1:9"  # discard port: tests point it at their fakes
    ANTHROPIC_OAUTH_TOKEN_URL = "http://127.0.0.1:9/v1/oauth/token"
    ANTHROPIC_OAUTH_USAGE_URL = "http://127.0.0.1:9/api/oauth/usage"
    UPSTREAM_CONNECT_TIMEOUT = 2.0
    UPSTREAM_READ_TIMEOUT = 10.0
    DEFAULT_MONTHLY_CAP_USD = Decimal("20")
    HEP_TOKENS_PER_USD = Decimal("100")
    MAX_REQUEST_BYTES = 32 * 1024 * 1024
    POOL_AUTO_FAILOVER = False
    SKILLS_HOST = None
    TRUSTED_PROXY_COUNT = 0
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    # Hashing speed is irrelevant to what the tests prove; scrypt would cost ~50 ms per user.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # The test process registers as a worker the first time it writes a ledger row, and its
    # heartbeat thread would renew the lease every 10 s from then on: a write from another
    # connection between a test's read and write in one SQLite transaction fails that test with
    # "database is locked". Tests that need heartbeats call Worker.beat() or set their own period.
    WORKER_LEASE_SECONDS = 3600.0


def _instance_secret_key():
    """A random key kept in instance/secret_key, so the embedded setup runs with no config."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def finalize(config):
    """Fill in what depends on other settings, and refuse unsafe combinations."""
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    if not config.get("SECRET_KEY"):
        if not uri.startswith("sqlite"):
            raise RuntimeError("SECRET_KEY must be set when DATABASE_URL is not the embedded SQLite database")
        config["SECRET_KEY"] = _instance_secret_key()
