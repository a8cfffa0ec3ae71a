"""Column helpers shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import BigInteger, Integer

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer, "sqlite")


def utcnow():
    """Naive UTC now: every timestamp in the database is naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
