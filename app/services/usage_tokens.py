"""The usg_ usage token: one per user, kept encrypted so the dashboard can reveal it."""
from sqlalchemy import select

from app.extensions import db
from app.models import UsageToken, User
from app.models.base import utcnow
from app.services import crypto
from app.services.errors import NotFound
from app.services.secrets import USAGE_TOKEN, digest_secret, has_prefix, mint_secret


def get_usage_token(user):
    """The user's UsageToken row, or None when none was minted yet."""
    return db.session.scalar(select(UsageToken).where(UsageToken.user_id == user.id))


def ensure_usage_token(user):
    """The user's usage token, minting one if needed; returns (plaintext, created)."""
    row = get_usage_token(user)
    if row is not None:
        return crypto.decrypt(row.token_encrypted), False
    minted = mint_secret(USAGE_TOKEN)
    db.session.add(UsageToken(user_id=user.id, token_digest=minted.digest,
                              token_prefix=minted.display_prefix,
                              token_encrypted=crypto.encrypt(minted.token)))
    db.session.commit()
    return minted.token, True


def reveal_usage_token(user):
    """The plaintext of the user's existing usage token; NotFound when there is none."""
    row = get_usage_token(user)
    if row is None:
        raise NotFound("no usage token has been minted yet")
    return crypto.decrypt(row.token_encrypted)


def rotate_usage_token(user):
    """Replace the usage token (the old one stops working at once); returns the new plaintext."""
    row = get_usage_token(user)
    minted = mint_secret(USAGE_TOKEN)
    if row is None:
        db.session.add(UsageToken(user_id=user.id, token_digest=minted.digest,
                                  token_prefix=minted.display_prefix,
                                  token_encrypted=crypto.encrypt(minted.token)))
    else:
        row.token_digest = minted.digest
        row.token_prefix = minted.display_prefix
        row.token_encrypted = crypto.encrypt(minted.token)
        row.rotated_at = utcnow()
    db.session.commit()
    return minted.token


def user_for_usage_token(token):
    """The user whose live usage token this is, or None."""
    if not has_prefix(token, USAGE_TOKEN):
        return None
    return db.session.scalar(
        select(User).join(UsageToken, UsageToken.user_id == User.id)
        .where(UsageToken.token_digest == digest_secret(token)))
