"""People and their account key."""
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class User(UserMixin, db.Model):
    """A person: credentials, rolling 30-day cap, overage settings and hep-token balance."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("cap_micro_usd >= 0", name="cap_non_negative"),
        CheckConstraint("overage_cap_micro_usd >= 0", name="overage_cap_non_negative"),
        CheckConstraint("hep_token_balance_micro >= 0", name="hep_balance_non_negative"),
        CheckConstraint("reserved_micro_usd >= 0", name="reserved_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Money is integer micro-dollars (1 USD = 1_000_000).
    cap_micro_usd: Mapped[int] = mapped_column(BigInteger)
    overage_enabled: Mapped[bool] = mapped_column(default=False)
    overage_cap_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    # Hep tokens in millionths, so sub-token overage debits stay exact.
    hep_token_balance_micro: Mapped[int] = mapped_column(BigInteger, default=0)
    # Estimated cost of OpenAI-side requests admitted but not yet settled.
    reserved_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bumped at sign-out: every session cookie issued before then stops working, copies included.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ai_account: Mapped[Optional["AiAccount"]] = relationship(back_populates="user", uselist=False)

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


class AiAccount(db.Model):
    """One per user: holds the digest of the ccas_ account key used by the ccas CLI."""

    __tablename__ = "ai_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship(back_populates="ai_account")
