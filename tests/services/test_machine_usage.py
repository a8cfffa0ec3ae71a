"""Per-machine usage over the rolling 30-day window, from ledger rows."""
from datetime import timedelta

from app.models.base import utcnow
from app.services.machine_usage import EMPTY, WINDOW, MachineUsage, machine_last_seen, machine_usage
from tests.ledger_rows import add_claude_request


def test_sums_each_machine_over_the_window_and_nothing_else(factories):
    ada, bob = factories.user(), factories.user()
    laptop, desktop, idle = factories.machine(ada), factories.machine(ada), factories.machine(ada)
    other = factories.machine(bob)
    now = utcnow().replace(microsecond=0)
    add_claude_request(laptop, started_at=now - timedelta(hours=1), input_tokens=10, output_tokens=20,
                       cache_creation=30, cache_read=40, cost_micro_usd=1_500)
    add_claude_request(laptop, started_at=now - WINDOW, input_tokens=1, cost_micro_usd=1)   # on the edge: in
    add_claude_request(laptop, started_at=now - WINDOW - timedelta(seconds=1), input_tokens=1000)  # too old
    add_claude_request(laptop, started_at=now + timedelta(seconds=1), input_tokens=1000)  # after `now`
    add_claude_request(desktop, started_at=now - timedelta(days=3), output_tokens=5, outcome="client_disconnected")
    add_claude_request(other, started_at=now, input_tokens=99)

    usage = machine_usage(ada, now)

    assert usage[laptop.id] == MachineUsage(requests=2, input_tokens=11, output_tokens=20,
                                            cache_creation_input_tokens=30, cache_read_input_tokens=40,
                                            cost_micro_usd=1_501, last_request_at=now - timedelta(hours=1))
    assert usage[laptop.id].total_tokens == 101
    assert usage[desktop.id].requests == 1 and usage[desktop.id].output_tokens == 5
    assert idle.id not in usage and other.id not in usage
    assert usage.get(idle.id, EMPTY).requests == 0


def test_revoked_machines_keep_their_history(factories):
    from app.services import machines
    user = factories.user()
    machine = factories.machine(user)
    add_claude_request(machine, input_tokens=7)
    machines.revoke_machine(user, machine.id)
    assert machine_usage(user, utcnow())[machine.id].input_tokens == 7


def test_last_seen_is_the_later_of_the_column_and_the_ledger(factories):
    machine = factories.machine(factories.user())
    now = utcnow()
    assert machine_last_seen(machine, EMPTY) is None
    usage = MachineUsage(requests=1, last_request_at=now)
    assert machine_last_seen(machine, usage) == now
    machine.last_seen_at = now + timedelta(minutes=1)
    assert machine_last_seen(machine, usage) == now + timedelta(minutes=1)
