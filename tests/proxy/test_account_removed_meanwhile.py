"""A pooled account removed while this process still caches its credential (for up to a second).

Found by schemathesis on PostgreSQL: the ledger row then named a deleted account (a foreign-key
violation, so a 500). The proxy must choose the account afresh instead, and never use the removed one.
"""
from sqlalchemy import select

from app.extensions import db
from app.models import ClaudeRequest
from app.services.pool import accounts as pool

BODY = {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}


def _rows():
    db.session.rollback()
    return list(db.session.scalars(select(ClaudeRequest).order_by(ClaudeRequest.id)))


def test_the_successor_serves_when_the_cached_account_was_removed(client, fake, machine, factories):
    spare = factories.pooled_account("spare", api_key="sk-ant-api03-spare-key")
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=BODY).status_code == 200
    pool.remove_pooled_account(machine.account.id)  # as another process would: our cache still holds it

    reply = client.post(f"/anthropic/{machine.token}/v1/messages", json=BODY)
    assert reply.status_code == 200
    assert fake.requests[-1].headers["x-api-key"] == "sk-ant-api03-spare-key"
    assert [(row.pooled_account_id, row.outcome) for row in _rows()][-1] == (spare.id, "ok")


def test_removing_the_last_cached_account_is_a_clean_503(client, fake, machine):
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=BODY).status_code == 200
    pool.remove_pooled_account(machine.account.id)

    reply = client.post(f"/anthropic/{machine.token}/v1/messages", json=BODY)
    assert reply.status_code == 503
    assert reply.json["error"]["type"] == "api_error"
    assert len(fake.requests) == 1
    assert _rows()[-1].status_code == 503
