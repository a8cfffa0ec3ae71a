"""Write transactions: the one place that takes the database's write lock.

Every read-modify-write runs in a transaction that holds the write lock from its first
statement: on SQLite the connection carries WRITE_LOCK_OPTION, so app.services.db.engine
begins it with BEGIN IMMEDIATE (one writer at a time, waiting on busy_timeout); on PostgreSQL
it is an ordinary transaction in which callers lock the rows they change (FOR UPDATE).

locked_connection() is the helper; the others are its shapes: write_connection() gives a
raw-SQL Runner (the hot path), separate_write_session() an ORM Session of its own, and
write_transaction() takes the lock on the app context's own db.session.
"""
from contextlib import contextmanager

from sqlalchemy.orm import Session

from app.extensions import db
from app.services.db.engine import WRITE_LOCK_OPTION
from app.services.db.raw_sql import Runner, pooled


@contextmanager
def locked_connection(engine=None):
    """A pooled Connection in one transaction holding the write lock, committed on success."""
    with pooled(engine or db.engine) as connection:
        connection.execution_options(**{WRITE_LOCK_OPTION: True})
        with connection.begin():
            yield connection


def _end_session_transaction():
    # On SQLite a session still inside a read transaction that began before our commit could
    # never write again (its snapshot would be stale), so it is ended first.
    if db.session.registry.has():
        session = db.session()
        if session.in_transaction():
            session.commit()


@contextmanager
def write_connection(engine=None):
    """A Runner (plain SQL) in a locked transaction. Like write_transaction(), it first ends the
    app context's session transaction if one is open (skipped when an engine is passed: callers
    outside a request's session, such as the Claude ledger, pass theirs)."""
    if engine is None:
        _end_session_transaction()
    with locked_connection(engine) as connection:
        yield Runner(connection)


@contextmanager
def separate_write_session():
    """A Session of its own (not db.session) in a locked transaction; commits on success.

    For work that must commit independently of whatever the caller's session is doing.
    """
    with locked_connection() as connection:
        with Session(bind=connection, expire_on_commit=False) as session:
            yield session
            session.flush()


@contextmanager
def write_transaction():
    """Run a block on db.session in one transaction that holds the write lock from its first
    statement; commits on success, rolls back on error."""
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_LOCK_OPTION: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
