"""Each user's own bearer tokens: the ccas_ account key (the ccas CLI) and the usg_ usage token.

The usage token is kept encrypted as well as by digest, so the dashboard can reveal it.
"""
from sqlalchemy import select

from app.extensions import db
from app.models import AiAccount, UsageToken, User
from app.models.base import utcnow
from app.services.credentials import crypto
from app.services.credentials.secrets import ACCOUNT_KEY, USAGE_TOKEN, digest_secret, has_prefix, mint_secret
from app.services.errors import NotFound


def issue_account_key(user):
    """Give a user (flushed, without an AI account yet) their first key; returns the plaintext."""
    minted = mint_secret(ACCOUNT_KEY)
    db.session.add(AiAccount(user_id=user.id, key_digest=minted.digest, key_prefix=minted.display_prefix))
    return minted.token


def rotate_account_key(user):
    """Replace the user's account key (the old one stops working at once); returns the new plaintext."""
    minted = mint_secret(ACCOUNT_KEY)
    account = db.session.scalar(select(AiAccount).where(AiAccount.user_id == user.id))
    if account is None:
        db.session.add(AiAccount(user_id=user.id, key_digest=minted.digest,
                                 key_prefix=minted.display_prefix))
    else:
        account.key_digest = minted.digest
        account.key_prefix = minted.display_prefix
        account.rotated_at = utcnow()
    db.session.commit()
    return minted.token


def user_for_account_key(token):
    """The user whose live account key this is, or None."""
    if not has_prefix(token, ACCOUNT_KEY):
        return None
    return db.session.scalar(
        select(User).join(AiAccount, AiAccount.user_id == User.id)
        .where(AiAccount.key_digest == digest_secret(token)))


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
