"""Token-authenticated APIs neither read nor write the dashboard's cookie session."""
from tests.openai_api.conftest import post_chat


def _cookie_headers(response):
    return response.headers.get("Set-Cookie"), "cookie" in response.headers.get("Vary", "").lower()


def test_the_openai_api_sets_no_cookie_and_no_vary_cookie(client, key, upstream):
    response = post_chat(client, key)
    assert response.status_code == 200
    assert _cookie_headers(response) == (None, False)
    assert _cookie_headers(client.get("/v1/models", headers={"Authorization": f"Bearer {key.token}"})) == (
        None, False)


def test_the_dashboard_still_varies_on_its_cookie_and_hands_out_a_session(client):
    response = client.get("/api/v1/ai/csrf-token")
    assert response.status_code == 200
    set_cookie, varies = _cookie_headers(response)
    assert varies and set_cookie and set_cookie.startswith("session=")
