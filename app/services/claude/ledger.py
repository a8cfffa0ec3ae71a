"""The Claude request ledger, written in two phases with plain SQL.

At admission a row is inserted with outcome `in_progress` and committed before upstream is
called, so a worker killed mid-request leaves a row behind for a sweeper. When the request
ends (in the relay body's `finally`) the same row is updated once with the outcome, tokens,
timings and cost. Requests the proxy refuses after authenticating the machine get one
finished row with outcome `rejected`.

Each write is one short transaction on a pooled connection of its own (no ORM Session on
the hot path), taking the write lock up front: on SQLite a transaction that has already
read cannot wait for the lock. The statements are plain SQL run on the DBAPI cursor
(app.services.hot_sql): building and binding Core statements cost more CPU than the writes.
"""
from functools import partial

from app.models.base import utcnow
from app.models.ledger import OUTCOME_IN_PROGRESS, OUTCOME_REJECTED
from app.services.claude.metering import Usage
from app.services.db.raw_sql import Sql
from app.services.db.text import clip_text
from app.services.db.transactions import write_connection
from app.services.upkeep.retry_queue import retry_later
from app.services.upkeep.worker import current_worker_id

_USAGE_COLUMNS = Usage.__slots__
_ROW_COLUMNS = ("request_id", "user_id", "machine_id", "pooled_account_id", "passthrough", "method", "path", "model",
                "stream", "started_at", "outcome", "worker_id", "status_code", "error_type", "finished_at",
                "duration_ms")
# Token counts and cost start at zero; the row is finalised with the real ones.
_INSERT = Sql(f"INSERT INTO claude_requests ({', '.join(_ROW_COLUMNS + _USAGE_COLUMNS)}, cost_micro_usd) VALUES "
              f"({', '.join(':' + name for name in _ROW_COLUMNS)}, {', '.join('0' for _ in _USAGE_COLUMNS)}, 0)")
_FINISH = Sql("UPDATE claude_requests SET outcome = :outcome, status_code = :status_code, stream = :stream, "
              "error_type = :error_type, upstream_request_id = :upstream_request_id, ttfb_ms = :ttfb_ms, "
              "duration_ms = :duration_ms, cost_micro_usd = :cost_micro_usd, finished_at = :finished_at, "
              f"model = :model, {', '.join(f'{name} = :{name}' for name in _USAGE_COLUMNS)} "
              "WHERE request_id = :finished_request_id")
_TOUCH = Sql("UPDATE machines SET last_seen_at = :seen_at WHERE id = :seen_machine_id")


def _row(call, *, pooled_account_id, model, stream, started_at, outcome):
    return {
        "request_id": call.request_id, "user_id": call.machine.user_id, "machine_id": call.machine.id,
        "pooled_account_id": pooled_account_id, "passthrough": call.machine.passthrough,
        "method": call.method[:10], "path": clip_text(call.path, 512), "model": clip_text(model, 128),
        "stream": bool(stream), "started_at": started_at, "outcome": outcome, "worker_id": current_worker_id(),
        "status_code": None, "error_type": None, "finished_at": None, "duration_ms": None,
    }


def _insert(engine, call, row, now):
    with write_connection(engine) as sql:
        sql.run(_INSERT, **row)
        if call.touch_machine:
            sql.run(_TOUCH, seen_machine_id=call.machine.id, seen_at=now)


def admit_claude_request(engine, call, *, pooled_account_id, model, stream):
    """Insert the in_progress row (and the machine's last-seen time when due) and commit."""
    now = utcnow()
    _insert(engine, call, _row(call, pooled_account_id=pooled_account_id, model=model, stream=stream,
                               started_at=now, outcome=OUTCOME_IN_PROGRESS), now)
    return now


def record_rejected_request(engine, call, *, status, error_type, model=None, stream=False, pooled_account_id=None):
    """One finished row for a request the proxy refused itself (400/401/413/503 ...)."""
    now = utcnow()
    row = _row(call, pooled_account_id=pooled_account_id, model=model, stream=stream, started_at=now,
               outcome=OUTCOME_REJECTED)
    row.update(status_code=status, error_type=clip_text(error_type, 64), finished_at=now, duration_ms=call.elapsed_ms())
    _insert(engine, call, row, now)


def finish_claude_request(engine, request_id, *, outcome, status_code, model, stream, usage, error_type,
                          upstream_request_id, ttfb_ms, duration_ms, cost_micro_usd):
    """Finalise an admitted row; runs outside any request, on its own short transaction (retried
    by the worker's heartbeat when it fails)."""
    values = {
        "finished_request_id": request_id, "outcome": outcome, "status_code": status_code, "stream": bool(stream),
        "error_type": clip_text(error_type, 64), "upstream_request_id": clip_text(upstream_request_id, 128),
        "ttfb_ms": ttfb_ms, "duration_ms": duration_ms, "cost_micro_usd": cost_micro_usd,
        "finished_at": utcnow(), "model": clip_text(model, 128), **usage.as_dict(),
    }
    try:
        _finish(engine, values)
    except Exception:
        retry_later(request_id, partial(_finish, engine, values))  # the database is away: try again later
        raise


def _finish(engine, values):
    with write_connection(engine) as sql:
        sql.run(_FINISH, **values)
