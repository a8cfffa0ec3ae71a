"""The ccas_ account key: one per user, used by the ccas CLI."""
from sqlalchemy import select

from app.extensions import db
from app.models import AiAccount, User
from app.models.base import utcnow
from app.services.secrets import ACCOUNT_KEY, digest_secret, has_prefix, mint_secret


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
