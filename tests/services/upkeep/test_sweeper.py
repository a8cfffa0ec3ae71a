"""The ledger sweeper: a dead worker's in-progress rows become interrupted and give back their
reservations exactly once, a live worker's rows are never touched, and a late finish still counts."""
import itertools
import threading
from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import ClaudeRequest, Lease, LlmRequest, SpendBucket, User
from app.models.base import utcnow
from app.services.quota import admission as quota_admission
from app.services.quota import settlement as quota_settlement
from app.services.db.leases import acquire_lease
from app.services.upkeep.sweeper import LEASE_RETENTION, MAX_REQUEST_AGE, ORPHAN_AGE, sweep_interrupted_requests
from app.services.upkeep.worker import WORKER_PREFIX, current_worker_id, start_worker

_ids = itertools.count(1)


def worker(alive, name=None):
    """A worker lease: live for a minute more, or expired a second ago."""
    worker_id = WORKER_PREFIX + (name or f"{next(_ids):032x}")
    now = utcnow()
    db.session.add(Lease(name=worker_id, owner=worker_id,
                         expires_at=now + timedelta(minutes=1) if alive else now - timedelta(seconds=1)))
    db.session.commit()
    return worker_id


def admit(user, key, model, estimate, worker_id, started_at=None):
    """An admitted OpenAI-side request (reservation held), as if worker_id had admitted it."""
    admission = quota_admission.admit_request(quota_admission.Ticket(
        request_id=f"req_sweep_{next(_ids)}", user_id=user.id, key_id=key.id, model_id=model.id,
        model_name=model.name, stream=True, estimate=estimate))
    values = {"worker_id": worker_id}
    if started_at is not None:
        values["started_at"] = started_at
    db.session.execute(update(LlmRequest).where(LlmRequest.id == admission.ledger_id).values(**values))
    db.session.commit()
    return admission


def claude_row(machine, worker_id, started_at=None):
    row = ClaudeRequest(request_id=f"req_claude_{next(_ids)}", user_id=machine.user_id, machine_id=machine.id,
                        method="POST", path="/v1/messages", model="claude-sonnet-5", stream=True,
                        outcome="in_progress", worker_id=worker_id, started_at=started_at or utcnow())
    db.session.add(row)
    db.session.commit()
    return row.id


def reserved(user_id):
    db.session.rollback()
    return db.session.get(User, user_id, populate_existing=True).reserved_micro_usd


def outcomes(model):
    db.session.rollback()
    return {row.id: (row.outcome, row.finished_at is not None)
            for row in db.session.scalars(db.select(model).order_by(model.id))}


def test_a_dead_workers_rows_are_interrupted_and_their_reservations_released(factories):
    user = factories.user()
    model = factories.model("m")
    key = factories.llm_key(user, [model])
    machine = factories.machine(user)
    dead, live = worker(alive=False), worker(alive=True)
    baseline = reserved(user.id)
    gone = [admit(user, key, model, 700, dead), admit(user, key, model, 300, dead)]
    running = admit(user, key, model, 50, live)
    dead_claude, live_claude = claude_row(machine, dead), claude_row(machine, live)
    assert reserved(user.id) == baseline + 1050

    result = sweep_interrupted_requests()

    assert (result.claude, result.llm, result.released_micro_usd) == (1, 2, 1000)
    assert reserved(user.id) == baseline + 50  # exactly the live request's reservation is still held
    llm = outcomes(LlmRequest)
    assert [llm[a.ledger_id] for a in gone] == [("interrupted", True)] * 2
    assert llm[running.ledger_id] == ("in_progress", False)
    claude = outcomes(ClaudeRequest)
    assert (claude[dead_claude], claude[live_claude]) == (("interrupted", True), ("in_progress", False))
    swept = db.session.get(LlmRequest, gone[0].ledger_id)
    assert (swept.error_code, swept.cost_micro_usd, swept.reserved_micro_usd) == ("worker_lost", 0, 700)
    assert db.session.get(ClaudeRequest, dead_claude).error_type == "worker_lost"
    assert db.session.scalars(db.select(SpendBucket)).all() == []  # nothing is billed for a lost request

    again = sweep_interrupted_requests()
    assert again.rows == 0 and reserved(user.id) == baseline + 50


def test_rows_without_a_lease_wait_for_the_orphan_age_and_every_row_for_the_age_limit(factories):
    user = factories.user()
    machine = factories.machine(user)
    live = worker(alive=True)
    now = utcnow()
    recent_legacy = claude_row(machine, None, started_at=now - ORPHAN_AGE + timedelta(minutes=5))
    old_legacy = claude_row(machine, None, started_at=now - ORPHAN_AGE - timedelta(minutes=5))
    unknown_worker = claude_row(machine, WORKER_PREFIX + "f" * 32, started_at=now - ORPHAN_AGE - timedelta(minutes=5))
    long_live = claude_row(machine, live, started_at=now - timedelta(hours=3))
    ancient_live = claude_row(machine, live, started_at=now - MAX_REQUEST_AGE - timedelta(minutes=1))

    assert sweep_interrupted_requests().claude == 3
    rows = outcomes(ClaudeRequest)
    assert rows[recent_legacy][0] == rows[long_live][0] == "in_progress"
    assert rows[old_legacy][0] == rows[unknown_worker][0] == rows[ancient_live][0] == "interrupted"


def test_a_live_worker_keeps_its_rows_however_long_they_run(app, factories):
    user = factories.user()
    machine = factories.machine(user)
    me = current_worker_id()  # this process, registered and heart-beating
    start_worker(app).beat()  # (the per-test table cleanup removed its lease; a heartbeat puts it back)
    row = claude_row(machine, me, started_at=utcnow() - timedelta(hours=2))
    assert sweep_interrupted_requests().claude == 0
    assert outcomes(ClaudeRequest)[row] == ("in_progress", False)


def test_the_heartbeat_renews_the_lease(app):
    worker = start_worker(app)
    db.session.execute(update(Lease).where(Lease.name == worker.id).values(expires_at=utcnow()))
    db.session.commit()
    worker.beat()
    db.session.rollback()
    lease = db.session.get(Lease, worker.id, populate_existing=True)
    assert lease.owner == worker.id
    assert lease.expires_at > utcnow() + timedelta(seconds=worker.lease_seconds - 10)


def test_concurrent_sweepers_release_each_reservation_once(app, factories):
    user = factories.user()
    model = factories.model("m")
    key = factories.llm_key(user, [model])
    machine = factories.machine(user)
    dead = worker(alive=False)
    baseline = reserved(user.id)
    for estimate in range(100, 1300, 100):
        admit(user, key, model, estimate, dead)
        claude_row(machine, dead)
    results, errors = [], []

    def sweep():
        try:
            with app.app_context():
                results.append(sweep_interrupted_requests())
        except Exception as exc:  # collected: an assertion in a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.llm for r in results) == 12 and sum(r.claude for r in results) == 12
    assert sum(r.released_micro_usd for r in results) == sum(range(100, 1300, 100))
    assert reserved(user.id) == baseline
    assert {outcome for outcome, _ in outcomes(LlmRequest).values()} == {"interrupted"}


def test_a_worker_that_comes_back_and_finishes_a_swept_row_is_billed_once(factories):
    user = factories.user()
    model = factories.model("m")
    key = factories.llm_key(user, [model])
    baseline = reserved(user.id)
    slow = worker(alive=False)  # cut off from the database for a whole lease period, but alive
    admission = admit(user, key, model, 900, slow)
    assert sweep_interrupted_requests().llm == 1
    assert reserved(user.id) == baseline

    settlement = quota_settlement.settle_request(user.id, admission, quota_settlement.Result(outcome="ok", status_code=200,
                                                                         completion_tokens=5, cost=42))
    assert settlement.cost == 42
    assert reserved(user.id) == baseline  # the reservation is not given back a second time
    row = db.session.get(LlmRequest, admission.ledger_id, populate_existing=True)
    assert (row.outcome, row.cost_micro_usd) == ("ok", 42)
    assert sum(b.spend_micro_usd for b in db.session.scalars(db.select(SpendBucket))) == 42


def test_leases_of_long_dead_workers_are_forgotten_once_their_rows_are_done(factories):
    user = factories.user()
    machine = factories.machine(user)
    long_dead = WORKER_PREFIX + "a" * 32
    acquire_lease(long_dead, long_dead, 1, now=utcnow() - LEASE_RETENTION - timedelta(minutes=5))
    acquire_lease("usage-poll:1", "someone", 1, now=utcnow() - LEASE_RETENTION - timedelta(minutes=5))
    claude_row(machine, long_dead)
    result = sweep_interrupted_requests()
    assert (result.claude, result.leases_removed) == (1, 1)
    db.session.rollback()
    names = {lease.name for lease in db.session.scalars(db.select(Lease))}
    assert long_dead not in names and "usage-poll:1" in names


def test_flask_ledger_sweep_prints_what_it_did(cli_runner, factories):
    user = factories.user()
    model = factories.model("m")
    key = factories.llm_key(user, [model])
    dead = worker(alive=False)
    admit(user, key, model, 250, dead)
    claude_row(factories.machine(user), dead)
    result = cli_runner.invoke(args=["ledger", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "claude_requests: 1 interrupted",
        "llm_requests: 1 interrupted, 250 micro-USD released",
        "ledger sweep: 2 rows",
    ]
