"""Failed sign-in counters, per account and per address, shared by every instance."""
from datetime import datetime
from typing import Optional

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class LoginThrottle(db.Model):
    """Failures of one scope ("account" or "address") and key within the current window.

    The key is stored as a SHA-256 digest: attempted emails (sometimes a password typed
    into the wrong field) and addresses are not kept in clear.
    """

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[Optional[datetime]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
