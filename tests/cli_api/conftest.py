"""Helpers for the CLI API tests: an authenticated call, and the shape of an error."""
import pytest

PREFIX = "/api/v1/ai/cli"


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def assert_error(response, status, code, message_part=None):
    """The CLI API's error shape {"error": {"code", "message"}} with the given status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if message_part is not None:
        assert message_part in error["message"]
    return error


class Caller:
    """The test client with one account key."""

    def __init__(self, client, key):
        self.client = client
        self.key = key

    def get(self, path, **kwargs):
        return self.client.get(PREFIX + path, headers=bearer(self.key), **kwargs)

    def post(self, path, json=None, **kwargs):
        if json is not None:
            kwargs["json"] = json
        return self.client.post(PREFIX + path, headers=bearer(self.key), **kwargs)


@pytest.fixture
def ada(factories):
    return factories.user("ada@example.com")


@pytest.fixture
def as_ada(client, ada):
    return Caller(client, ada.account_key)
