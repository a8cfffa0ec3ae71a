"""Self-service sk-hyd- LLM keys and the models each is bound to."""
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

llm_key_models = Table(
    "llm_key_models",
    db.metadata,
    Column("llm_key_id", ForeignKey("llm_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("model_id", ForeignKey("llm_models.id", ondelete="CASCADE"), primary_key=True),
)


class LlmKey(db.Model):
    """An sk-hyd- key, bound at creation to its model(s).

    Deleting sets deleted_at and clears the digest; the row stays for the ledger.
    """

    __tablename__ = "llm_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    key_digest: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[Optional[datetime]]
    deleted_at: Mapped[Optional[datetime]]

    user = relationship("User")
    models = relationship("LlmModel", secondary=llm_key_models, lazy="selectin",
                          order_by="LlmModel.name")
