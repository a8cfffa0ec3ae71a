"""Machines and their proxy tokens."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Machine(db.Model):
    """A computer running Claude Code through the proxy with exactly one live cct_ token.

    Revoking clears the token digest and keeps the row, so its usage history stays.
    """

    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    passthrough: Mapped[bool] = mapped_column(default=False)
    token_digest: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    token_rotated_at: Mapped[Optional[datetime]]
    last_seen_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]

    user = relationship("User")

    @property
    def is_revoked(self):
        return self.revoked_at is not None
