"""The ledger sweeper: rows left `in_progress` by a worker process that died become `interrupted`.

A row is swept when it is still in progress and
- its worker's heartbeat lease (app.services.workers) has expired: the worker has not renewed
  it for a whole lease period, so it is dead (a live one renews it six times per period, however
  long its streams run);
- or no lease exists for its worker (rows written before worker ids existed) and it started more
  than ORPHAN_AGE ago;
- or it started more than MAX_REQUEST_AGE ago, whatever its worker (no request runs that long).

Claude rows are flipped by one conditional UPDATE. An OpenAI-side row also gives back its
reservation: its flip and the release of `reserved_micro_usd` happen in one transaction holding
the user's row lock, so the reserved total returns exactly to what it was without the request.
Nothing is billed for it: the dead worker took what it had counted with it. Every write is
conditional on the row still being in progress, so any number of sweepers can run at once on
any number of instances, and a row finished meanwhile is left alone. Should a worker that was
merely cut off from the database come back and finish a swept row, its finish overwrites the
row and its settlement (finding no reservation held) books the actual cost, so nothing is lost
or counted twice.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, delete, exists, literal, or_, select, update

from app.extensions import db
from app.models import ClaudeRequest, Lease, LlmRequest, User
from app.models.base import utcnow
from app.models.ledger import OUTCOME_IN_PROGRESS, OUTCOME_INTERRUPTED
from app.services.db.transactions import locked_connection
from app.services.upkeep.worker import WORKER_PREFIX

# error_type / error_code of a swept row.
WORKER_LOST = "worker_lost"
ORPHAN_AGE = timedelta(hours=1)
MAX_REQUEST_AGE = timedelta(hours=24)
# Leases of workers that died this long ago are deleted once none of their rows is in progress.
LEASE_RETENTION = timedelta(days=1)
BATCH = 500
_LEASES = Lease.__table__
_CLAUDE = ClaudeRequest.__table__
_LLM = LlmRequest.__table__
_USERS = User.__table__


@dataclass
class SweepResult:
    """What one sweep did."""

    claude: int = 0
    llm: int = 0
    released_micro_usd: int = 0
    leases_removed: int = 0

    @property
    def rows(self):
        return self.claude + self.llm

    def describe(self):
        """One line for logs and the CLI."""
        return (f"{self.claude} Claude and {self.llm} OpenAI-side requests marked interrupted, "
                f"{self.released_micro_usd} micro-USD of reservations released")


def _abandoned(table, now):
    """The condition under which an in-progress row of `table` belongs to no live worker."""
    lease_of_row = _LEASES.c.name == table.c.worker_id
    return and_(table.c.outcome == OUTCOME_IN_PROGRESS, or_(
        table.c.started_at < now - MAX_REQUEST_AGE,
        exists().where(lease_of_row, _LEASES.c.expires_at <= now),
        and_(table.c.started_at < now - ORPHAN_AGE, ~exists().where(lease_of_row)),
    ))


def _any(engine, query):
    with engine.connect() as connection:
        return connection.execute(query.limit(1)).first() is not None


def _sweep_claude(engine, now):
    # Looked for first without a write lock: most sweeps find nothing.
    if not _any(engine, select(_CLAUDE.c.id).where(_abandoned(_CLAUDE, now))):
        return 0
    with locked_connection(engine) as connection:
        return connection.execute(
            update(_CLAUDE).where(_abandoned(_CLAUDE, now))
            .values(outcome=OUTCOME_INTERRUPTED, error_type=WORKER_LOST, finished_at=now)).rowcount


def _sweep_llm_row(engine, row_id, user_id, reserved, now):
    """Flip one row and release its reservation, atomically; 0 when someone else got there first."""
    with locked_connection(engine) as connection:
        # The user's row lock first, as settlement takes it, so the two never deadlock.
        connection.execute(select(_USERS.c.id).where(_USERS.c.id == user_id).with_for_update())
        flipped = connection.execute(
            update(_LLM).where(_LLM.c.id == row_id, _abandoned(_LLM, now))
            .values(outcome=OUTCOME_INTERRUPTED, error_code=WORKER_LOST, finished_at=now)).rowcount
        if flipped and reserved:
            held = _USERS.c.reserved_micro_usd
            connection.execute(update(_USERS).where(_USERS.c.id == user_id).values(
                reserved_micro_usd=case((held > reserved, held - reserved), else_=literal(0))))
        return flipped


def _sweep_llm(engine, now, result):
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                select(_LLM.c.id, _LLM.c.user_id, _LLM.c.reserved_micro_usd)
                .where(_abandoned(_LLM, now)).order_by(_LLM.c.id).limit(BATCH)).all()
        for row_id, user_id, reserved in rows:
            if _sweep_llm_row(engine, row_id, user_id, reserved or 0, now):
                result.llm += 1
                result.released_micro_usd += reserved or 0
        if len(rows) < BATCH:
            return


def _forget_dead_workers(engine, now):
    def busy(table):
        return exists().where(table.c.worker_id == _LEASES.c.name, table.c.outcome == OUTCOME_IN_PROGRESS)

    stale = and_(_LEASES.c.name.startswith(WORKER_PREFIX, autoescape=True),
                 _LEASES.c.expires_at < now - LEASE_RETENTION, ~busy(_CLAUDE), ~busy(_LLM))
    if not _any(engine, select(_LEASES.c.name).where(stale)):
        return 0
    with locked_connection(engine) as connection:
        return connection.execute(delete(_LEASES).where(stale)).rowcount


def sweep_interrupted_requests(now=None):
    """Mark the in-progress rows of dead workers interrupted and release their reservations."""
    now = now or utcnow()
    engine = db.engine
    result = SweepResult()
    result.claude = _sweep_claude(engine, now)
    _sweep_llm(engine, now, result)
    result.leases_removed = _forget_dead_workers(engine, now)
    return result
