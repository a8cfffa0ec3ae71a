"""Database engine setup: SQLite pragmas and BEGIN, PostgreSQL connection pings.

SQLite: WAL, foreign keys, a busy timeout, and SQLAlchemy in charge of BEGIN (the pysqlite
driver's own transaction handling would defer it), so a connection carrying WRITE_LOCK_OPTION
(app.services.db.transactions) begins with BEGIN IMMEDIATE. PostgreSQL: callers lock the rows
they change with SELECT ... FOR UPDATE.

Server databases: a pooled connection is pinged on checkout only when it may have gone stale —
it sat in the pool longer than DATABASE_PING_AFTER_IDLE_SECONDS, or a disconnect was seen since
it was last used — instead of on every checkout (pool_pre_ping: a round trip per transaction). A
connection that dies while in use fails its request with the 503 of app.services.db.outage, is
invalidated, and makes every connection pooled before it be pinged on its next checkout.
"""

import time

from sqlalchemy import event, exc

from app.extensions import db


WRITE_LOCK_OPTION = "hepgg_write_lock"


def _configure_sqlite(engine, busy_timeout_ms):
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION)
        # Straight on the driver connection: SQLAlchemy's statement machinery would cost more than
        # the BEGIN itself on every hot-path transaction. A lock timeout surfaces as the driver's
        # OperationalError, which app.services.db_outage recognises like SQLAlchemy's wrapper.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


_LAST_USED = "hepgg_last_used"
_last_disconnect = 0.0  # time.monotonic() of the last disconnect this process saw


def note_disconnect():
    """A connection turned out dead: ping every connection that was pooled before now."""
    global _last_disconnect
    _last_disconnect = time.monotonic()


def _configure_ping(engine, idle_seconds):
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record):
        if dbapi_connection is not None:  # None: the connection was invalidated while checked out
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        last_used = record.info.get(_LAST_USED)
        if last_used is None:
            return  # just connected (record.info is cleared whenever a connection is replaced)
        if (not getattr(dbapi_connection, "closed", 0) and _last_disconnect < last_used
                and time.monotonic() - last_used < idle_seconds):
            return
        try:
            if getattr(dbapi_connection, "closed", 0):
                raise exc.DisconnectionError("the driver connection is closed")
            dialect.do_ping(dbapi_connection)
        except Exception as err:
            if isinstance(err, exc.DisconnectionError) or dialect.is_disconnect(err, dbapi_connection, None):
                note_disconnect()
                # The pool replaces this connection (and every one pooled before now) and retries.
                raise exc.InvalidatePoolError(str(err)) from err
            raise


def init_app(app):
    """Attach dialect-specific settings to the app's engine."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, int(app.config.get("SQLITE_BUSY_TIMEOUT", 15.0) * 1000))
        else:
            _configure_ping(engine, float(app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 2.0)))


def is_sqlite():
    """Whether the app's database is SQLite."""
    return db.engine.dialect.name == "sqlite"

