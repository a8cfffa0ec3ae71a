"""Fixtures for the Anthropic proxy: the fake upstream, a machine with a pooled account."""
import pytest
from flask.testing import FlaskClient

from app.caches import reset_caches
from tests.fakes.anthropic import FakeAnthropic

_UPSTREAM_SETTINGS = ("ANTHROPIC_BASE_URL", "ANTHROPIC_OAUTH_TOKEN_URL", "UPSTREAM_READ_TIMEOUT",
                      "UPSTREAM_CONNECT_TIMEOUT", "MAX_REQUEST_BYTES", "POOL_AUTO_FAILOVER")


@pytest.fixture(autouse=True)
def fresh_proxy_state(app):
    """Settings a test changes are restored, and nothing it cached (or scheduled) outlives it."""
    saved = {name: app.config[name] for name in _UPSTREAM_SETTINGS}
    yield
    reset_caches()
    app.config.update(saved)


class BufferedClient(FlaskClient):
    """A test client that reads every body to its end and closes it, as a WSGI server does."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return BufferedClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def fake(app):
    """The fake Anthropic API, with the app pointed at it (token endpoint included)."""
    server = FakeAnthropic().start()
    app.config["ANTHROPIC_BASE_URL"] = server.url
    app.config["ANTHROPIC_OAUTH_TOKEN_URL"] = server.url + "/v1/oauth/token"
    yield server
    server.stop()


@pytest.fixture
def machine(factories):
    """A pooled machine (its user attached as .owner) with an API-key account active."""
    user = factories.user()
    found = factories.machine(user)
    found.owner = user
    found.account = factories.pooled_account(label="team-key", api_key="sk-ant-api03-pooled-key")
    return found

