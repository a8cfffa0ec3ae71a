"""Short leases in the database, so work is done by one process at a time across instances."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Lease(db.Model):
    """A named lease held by `owner` until `expires_at` (see app.services.leases)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
