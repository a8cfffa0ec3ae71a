"""A NUL character in a proxied path or model still leaves a ledger row (PostgreSQL cannot store NUL)."""
from sqlalchemy import select

from app.extensions import db
from app.models import ClaudeRequest


def test_a_nul_in_the_path_or_model_is_relayed_and_metered(client, fake, machine):
    assert client.post(f"/anthropic/{machine.token}/v1/a%00b", json={"messages": []}).status_code == 404
    reply = client.post(f"/anthropic/{machine.token}/v1/messages",
                        json={"model": "m\x00x", "max_tokens": 5, "messages": []})
    assert reply.status_code == 200
    db.session.rollback()
    rows = list(db.session.scalars(select(ClaudeRequest).order_by(ClaudeRequest.id)))
    assert [(row.path, row.model, row.outcome) for row in rows] == [
        ("/v1/a\ufffdb", None, "upstream_error"), ("/v1/messages", "m\ufffdx", "ok")]
