"""Fixtures for the usage API and refresher tests: a usage-token holder and the fake OAuth upstream."""
from types import SimpleNamespace

import pytest

from app.caches import reset_caches
from tests.fakes.anthropic_oauth import FakeOAuthUpstream


@pytest.fixture
def caller(factories):
    """A user with a usage token, and the headers that present it."""
    user = factories.user()
    token = factories.usage_token(user)
    return SimpleNamespace(user=user, user_id=user.id, token=token, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def oauth_upstream(app):
    """The fake OAuth usage and token endpoints, wired into the app's config for the test."""
    fake = FakeOAuthUpstream().start()
    keys = ("ANTHROPIC_OAUTH_USAGE_URL", "ANTHROPIC_OAUTH_TOKEN_URL")
    saved = {key: app.config[key] for key in keys}
    app.config.update(ANTHROPIC_OAUTH_USAGE_URL=fake.usage_url, ANTHROPIC_OAUTH_TOKEN_URL=fake.token_url)
    yield fake
    app.config.update(saved)
    fake.stop()


@pytest.fixture(autouse=True)
def forget_recent_header_updates():
    """The header feed's per-process memory of what it last wrote, emptied between tests."""
    reset_caches()
    yield
    reset_caches()
