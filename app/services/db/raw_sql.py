"""Plain SQL for the per-request hot path, on short-lived engine connections.

Building, cache-keying and binding a SQLAlchemy Core statement costs a few times more CPU than
the round trip it makes, and an ORM Session adds its own bookkeeping to every transaction; a
request runs three short transactions (key lookup, admission, settlement) of about ten
statements in all, so those statements are written here once as SQL with `:name` parameters,
translated once per dialect, and run on the DBAPI cursor of a pooled SQLAlchemy connection
(begin, commit and rollback stay SQLAlchemy's). Each block holds its connection only while it
runs, never across an upstream call.
"""

import re
from contextlib import contextmanager
from datetime import datetime

from app.extensions import db
from app.services.db.engine import note_disconnect


_PARAM = re.compile(r"(?<![:\w]):(\w+)")

# SQLAlchemy's storage format for DateTime on SQLite: raw parameters must match it exactly.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class Sql:
    """One statement: `:name` parameters; `FOR UPDATE` is dropped on SQLite (BEGIN IMMEDIATE locks)."""

    __slots__ = ("text", "_by_dialect")

    def __init__(self, text):
        self.text = " ".join(text.split())
        self._by_dialect = {}

    def for_dialect(self, dialect):
        """The statement in the DBAPI's own parameter style."""
        sql = self._by_dialect.get(dialect)
        if sql is None:
            if dialect == "postgresql":
                sql = _PARAM.sub(r"%(\1)s", self.text)
            else:
                sql = self.text.replace(" FOR UPDATE", "")
            self._by_dialect[dialect] = sql
        return sql


class Runner:
    """Executes Sql on a SQLAlchemy Connection's DBAPI connection (so inside its transaction)."""

    __slots__ = ("_dbapi", "_dialect")

    def __init__(self, connection):
        self._dialect = connection.dialect.name
        self._dbapi = connection.connection.dbapi_connection

    def _params(self, params):
        if self._dialect != "sqlite":
            return params
        return {k: v.strftime(_SQLITE_DATETIME) if isinstance(v, datetime) else v for k, v in params.items()}

    def execute(self, sql, **params):
        """Run a statement; returns the DBAPI cursor (fetch from it before the next statement)."""
        cursor = self._dbapi.cursor()
        cursor.execute(sql.for_dialect(self._dialect), self._params(params))
        return cursor

    def one(self, sql, **params):
        """The single row a statement returns (None when there is none)."""
        cursor = self.execute(sql, **params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    def all(self, sql, **params):
        """Every row a statement returns."""
        cursor = self.execute(sql, **params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def run(self, sql, **params):
        """Run a statement for its effect; returns the number of rows it changed."""
        cursor = self.execute(sql, **params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()


def as_datetime(value):
    """A timestamp read through the DBAPI (SQLite hands back text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _invalidate_if_disconnected(connection, err):
    # Statements run on the DBAPI cursor bypass SQLAlchemy's disconnect handling: do its part.
    if connection.invalidated:
        return  # SQLAlchemy saw it (on begin, commit or rollback) and invalidated the pool itself
    try:
        dbapi_connection = connection.connection.dbapi_connection
    except Exception:  # noqa: BLE001 - no usable connection left to ask
        dbapi_connection = None
    if connection.dialect.is_disconnect(err, dbapi_connection, None):
        connection.invalidate(err)
        note_disconnect()


@contextmanager
def pooled(engine):
    """engine.connect() for Runner use: a connection found dead is invalidated, not pooled again."""
    with engine.connect() as connection:
        try:
            yield connection
        except Exception as err:
            dbapi = connection.dialect.loaded_dbapi
            if dbapi is not None and isinstance(err, dbapi.Error):
                _invalidate_if_disconnected(connection, err)
            raise


@contextmanager
def read_connection():
    """A Runner on a pooled connection for reads; its transaction ends (rolls back) on exit."""
    with pooled(db.engine) as connection:
        yield Runner(connection)

