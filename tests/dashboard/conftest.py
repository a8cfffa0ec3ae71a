"""Dashboard fixtures: browser-like clients that keep cookies and send the CSRF token."""
import pytest

from tests.dashboard.helpers import DashboardClient


@pytest.fixture
def make_client(app):
    """make_client() -> a signed-out DashboardClient; make_client(user) -> one signed in as user."""
    def make(user=None):
        client = DashboardClient(app, app.response_class, use_cookies=True)
        return client.login(user) if user is not None else client
    return make
