"""Who may use the proxy: the URL's proxy token, and any proxy token repeated in the headers."""
import pytest

from app.extensions import db
from app.models import Machine
from app.services.credentials import machines
from tests.fakes.anthropic import MODEL
from tests.proxy.helpers import ledger_rows

MESSAGE = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def assert_authentication_error(response):
    assert response.status_code == 401
    body = response.get_json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["message"]
    assert body["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize("token", ["cct_doesnotexist", "not-a-token", "sk-ant-api03-whatever"])
def test_an_unknown_token_is_refused(client, fake, machine, token):
    assert_authentication_error(client.post(f"/anthropic/{token}/v1/messages", json=MESSAGE))
    assert fake.requests == [] and ledger_rows() == []


def test_a_rotated_token_stops_working_and_the_new_one_works(client, fake, machine):
    _, new_token = machines.rotate_machine_token(machine.owner, machine.id)
    assert_authentication_error(client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE))
    assert client.post(f"/anthropic/{new_token}/v1/messages", json=MESSAGE).get_json()["type"] == "message"
    assert len(fake.requests) == 1


def test_a_revoked_machine_is_refused(client, fake, machine):
    machines.revoke_machine(machine.owner, machine.id)
    assert_authentication_error(client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE))
    assert fake.requests == []


@pytest.mark.parametrize("header", ["Authorization", "x-api-key"])
def test_a_header_naming_a_different_proxy_token_is_refused(client, fake, machine, factories, header):
    other = factories.machine(machine.owner)
    value = f"Bearer {other.token}" if header == "Authorization" else other.token
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE, headers={header: value})
    assert_authentication_error(response)
    assert "does not match" in response.get_json()["error"]["message"]
    assert other.token not in response.get_data(as_text=True)
    assert fake.requests == [] and ledger_rows() == []


@pytest.mark.parametrize("header", ["Authorization", "x-api-key"])
def test_a_header_repeating_the_url_token_is_accepted_and_never_forwarded(client, fake, machine, header):
    value = f"Bearer {machine.token}" if header == "Authorization" else machine.token
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE, headers={header: value})
    assert response.status_code == 200
    [sent] = fake.requests
    assert sent.headers["x-api-key"] == "sk-ant-api03-pooled-key"
    assert "authorization" not in sent.headers
    assert machine.token not in repr(sent.header_items)


def test_last_seen_is_written_once_and_not_on_every_request(client, fake, machine):
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE).get_json()["type"] == "message"
    db.session.rollback()
    first_seen = db.session.get(Machine, machine.id).last_seen_at
    assert first_seen is not None
    marker = first_seen.replace(year=2001)
    db.session.get(Machine, machine.id).last_seen_at = marker
    db.session.commit()
    for _ in range(3):
        assert client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE).get_json()["type"] == "message"
    db.session.rollback()
    assert db.session.get(Machine, machine.id).last_seen_at == marker
    assert len(ledger_rows()) == 4
