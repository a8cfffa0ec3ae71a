"""Named leases in the database: at most one holder per name across every process and machine.

Acquisition is a single conditional UPDATE (or an INSERT guarded by the primary key), which
is atomic on SQLite and PostgreSQL alike. Leases run on their own connection so they commit
independently of the caller's session.
"""
import uuid
from datetime import timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Lease
from app.models.base import utcnow


def new_owner_id():
    """A unique holder id for this process/task."""
    return uuid.uuid4().hex


def acquire_lease(name, owner, ttl_seconds, *, now=None):
    """Take or renew the lease `name` for `owner` for ttl_seconds; True when held."""
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    table = Lease.__table__
    with db.engine.begin() as conn:
        taken = conn.execute(
            update(table)
            .where(table.c.name == name)
            .where((table.c.expires_at <= now) | (table.c.owner == owner))
            .values(owner=owner, expires_at=expires)
        ).rowcount
    if taken:
        return True
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(table).values(name=name, owner=owner, expires_at=expires))
        return True
    except IntegrityError:
        return False


def release_lease(name, owner):
    """Give up a lease this owner holds; a lease held by someone else is left alone."""
    table = Lease.__table__
    with db.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.name == name).where(table.c.owner == owner))
