"""Telling "the database is unavailable" (down, unreachable, locked by another process) from a bug.

Such errors become a 503 in each API family's own shape (app.errors), with `Retry-After`,
instead of a 500: the request did nothing wrong and will work again once the database
answers. The hot path runs some statements on the DBAPI cursor directly (app.services.db.raw_sql),
so the drivers' own exception classes are recognised as well as SQLAlchemy's wrappers; this is
the one module that lists them.
"""
import sqlite3

from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import IntegrityError

from app.services.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 5
MESSAGE = "The service's database is unavailable at the moment. Try again in a few seconds."
_DRIVER_ERRORS = [sqlite3.OperationalError]
# A violated constraint, as the ORM reports it and as the DBAPI cursors of raw_sql raise it.
INTEGRITY_ERRORS = [IntegrityError, sqlite3.IntegrityError]
try:
    import psycopg2
    _DRIVER_ERRORS += [psycopg2.OperationalError, psycopg2.InterfaceError]
    INTEGRITY_ERRORS += [psycopg2.IntegrityError]
except ImportError:  # PostgreSQL support is optional for the embedded SQLite setup
    pass
_DRIVER_ERRORS = tuple(_DRIVER_ERRORS)
INTEGRITY_ERRORS = tuple(INTEGRITY_ERRORS)
# SQLite reports schema mistakes as OperationalError too; those are bugs, not outages.
_SQLITE_BUGS = ("no such ", "syntax error", "has no column", "already exists")


def _is_sqlite_bug(exc):
    return isinstance(exc, sqlite3.OperationalError) and any(part in str(exc) for part in _SQLITE_BUGS)


def is_database_unavailable(exc):
    """True when `exc` says the database could not be reached or used, not that a query is wrong."""
    original = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if _is_sqlite_bug(original):
        return False
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _DRIVER_ERRORS)


def database_unavailable():
    """The ServiceUnavailable (503) a client gets while the database is away."""
    return ServiceUnavailable(MESSAGE, code="database_unavailable",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
