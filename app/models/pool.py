"""The pool of Claude accounts, its audit trail and its cache version."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow

KIND_API_KEY = "api_key"
KIND_OAUTH = "oauth"


class PooledAccount(db.Model):
    """A Claude account in the shared pool; at most one row is active (a partial unique index).

    Credentials are Fernet-encrypted; `usage_snapshot` is the cached usage in the
    normalised form of app.services.usage_cache.
    """

    __tablename__ = "pooled_accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('api_key', 'oauth')", name="kind_known"),
        Index("uq_pooled_accounts_one_active", "is_active", unique=True,
              sqlite_where=text("is_active = 1"), postgresql_where=text("is_active")),
        # Ids are stable: SQLite must not hand a removed account's id to a new one.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    api_key_encrypted: Mapped[Optional[str]] = mapped_column(Text)
    oauth_access_token_encrypted: Mapped[Optional[str]] = mapped_column(Text)
    oauth_refresh_token_encrypted: Mapped[Optional[str]] = mapped_column(Text)
    oauth_expires_at: Mapped[Optional[datetime]]
    is_active: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    needs_relogin: Mapped[bool] = mapped_column(default=False)
    rate_limited_until: Mapped[Optional[datetime]]
    status_reason: Mapped[Optional[str]] = mapped_column(String(255))
    usage_snapshot: Mapped[Optional[dict]] = mapped_column(JSON)
    usage_updated_at: Mapped[Optional[datetime]]
    # Refresher bookkeeping: last poll of the OAuth usage endpoint and a 429 back-off.
    usage_polled_at: Mapped[Optional[datetime]]
    usage_poll_not_before: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PoolSwitch(db.Model):
    """Audit row: who made which account active instead of which, when, and why."""

    __tablename__ = "pool_switches"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_account_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("pooled_accounts.id", ondelete="SET NULL"))
    to_account_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("pooled_accounts.id", ondelete="SET NULL"))
    # Labels are copied so the trail stays readable after an account is removed.
    from_label: Mapped[Optional[str]] = mapped_column(String(120))
    to_label: Mapped[Optional[str]] = mapped_column(String(120))
    actor_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(32))
    reason: Mapped[Optional[str]] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PoolState(db.Model):
    """A single row whose counter changes exactly when the usage API's payload does."""

    __tablename__ = "pool_state"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    usage_version: Mapped[int] = mapped_column(BigInteger, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
