"""The skills registry: SKILL.md documents and each user's capability-URL access key."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Skill(db.Model):
    """One user's SKILL.md, stored byte-for-byte as imported.

    Names are unique per owner; among public skills they are unique outright (a partial
    unique index), so `/skills/<name>` always means exactly one document.
    """

    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_skills_user_id_name"),
        Index("uq_skills_public_name", "name", unique=True,
              sqlite_where=text("is_public = 1"), postgresql_where=text("is_public")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    # Bytes, not text: what was imported is what is served (CRLF, BOM and all).
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    is_public: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner = relationship("User")

    @property
    def etag(self):
        """The strong entity tag of the stored bytes (without quotes)."""
        return self.content_sha256

    def __repr__(self):
        return f"<Skill {self.id} {self.name}{' public' if self.is_public else ''}>"


class SkillAccessKey(db.Model):
    """One skl_ access key per user, found by digest and kept encrypted so it can be shown again."""

    __tablename__ = "skill_access_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(32))
    key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[Optional[datetime]]

    user = relationship("User")
