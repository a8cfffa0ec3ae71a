"""`flask secrets reencrypt`: move every encrypted value to the primary ENCRYPTION_KEY."""
import click
from sqlalchemy import select

from app.extensions import db
from app.models import LlmModel, PooledAccount, UsageToken
from app.services.credentials.crypto import secret_box

ENCRYPTED_COLUMNS = (
    (UsageToken, ("token_encrypted",)),
    (PooledAccount, ("api_key_encrypted", "oauth_access_token_encrypted", "oauth_refresh_token_encrypted")),
    (LlmModel, ("upstream_api_key_encrypted",)),
)


@click.group("secrets")
def secrets():
    """Maintain secrets kept encrypted at rest."""


@secrets.command("reencrypt")
def reencrypt():
    """Re-encrypt stored secrets under the first ENCRYPTION_KEY (after adding a new key)."""
    box = secret_box()
    count = 0
    for model, columns in ENCRYPTED_COLUMNS:
        for row in db.session.scalars(select(model)):
            for column in columns:
                value = getattr(row, column)
                if value:
                    setattr(row, column, box.reencrypt(value))
                    count += 1
    db.session.commit()
    click.echo(f"re-encrypted {count} secrets")
    click.echo(count)
