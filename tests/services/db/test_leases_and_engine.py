"""Leases and the write-lock transaction helper."""
import threading
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services.db.transactions import write_transaction
from app.services.db.leases import acquire_lease, release_lease


def test_a_lease_has_one_holder_until_it_expires_or_is_released():
    now = utcnow()
    assert acquire_lease("job", "a", 30, now=now)
    assert not acquire_lease("job", "b", 30, now=now)
    assert acquire_lease("job", "a", 30, now=now)  # renewal by the holder
    assert acquire_lease("job", "b", 30, now=now + timedelta(seconds=31))  # expired
    release_lease("job", "a")  # not the holder: no effect
    assert not acquire_lease("job", "a", 30, now=now + timedelta(seconds=32))
    release_lease("job", "b")
    assert acquire_lease("job", "a", 30, now=now + timedelta(seconds=33))


def test_concurrent_acquirers_get_exactly_one_lease(app):
    winners = []
    barrier = threading.Barrier(8)

    def contend(owner):
        with app.app_context():
            barrier.wait()
            if acquire_lease("contended", owner, 30):
                winners.append(owner)

    threads = [threading.Thread(target=contend, args=(f"owner-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_write_transactions_serialise_read_modify_write(app, factories):
    user = factories.user(hep_tokens="0")
    user_id = user.id

    def add_one(times):
        with app.app_context():
            for _ in range(times):
                with write_transaction() as session:
                    row = session.scalar(select(User).where(User.id == user_id).with_for_update())
                    session.execute(update(User).where(User.id == user_id)
                                    .values(hep_token_balance_micro=row.hep_token_balance_micro + 1))
            db.session.remove()

    threads = [threading.Thread(target=add_one, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert db.session.get(User, user_id).hep_token_balance_micro == 100


def test_write_transaction_rolls_back_on_error(factories):
    user = factories.user(hep_tokens="5")
    try:
        with write_transaction():
            user.hep_token_balance_micro = 1
            db.session.flush()
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert db.session.get(User, user.id).hep_token_balance_micro == 5_000_000
