"""The OpenAI-side model catalogue."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class LlmModel(db.Model):
    """A model clients call by `name`, served by an OpenAI-compatible upstream.

    Prices are integer micro-dollars per million tokens ($0.15/Mtok = 150_000).
    """

    __tablename__ = "llm_models"
    __table_args__ = (
        CheckConstraint("input_micro_usd_per_mtok >= 0", name="input_price_non_negative"),
        CheckConstraint("output_micro_usd_per_mtok >= 0", name="output_price_non_negative"),
        CheckConstraint(
            "cached_input_micro_usd_per_mtok IS NULL OR cached_input_micro_usd_per_mtok >= 0",
            name="cached_price_non_negative"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    upstream_base_url: Mapped[str] = mapped_column(String(512))
    upstream_model: Mapped[str] = mapped_column(String(256))
    upstream_api_key_encrypted: Mapped[Optional[str]] = mapped_column(Text)
    input_micro_usd_per_mtok: Mapped[int] = mapped_column(BigInteger)
    cached_input_micro_usd_per_mtok: Mapped[Optional[int]] = mapped_column(BigInteger)
    output_micro_usd_per_mtok: Mapped[int] = mapped_column(BigInteger)
    user_allowed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
