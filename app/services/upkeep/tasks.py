"""The upkeep tasks every worker process runs from its heartbeat, registered at start-up."""
from app.services.upkeep.retry_queue import retry_pending
from app.services.upkeep.sweeper import sweep_interrupted_requests
from app.services.upkeep.worker import EVERY_HEARTBEAT, EVERY_LEASE, register_task


def _sweep():
    swept = sweep_interrupted_requests()
    return swept.describe() if swept.rows else None


def init_app(app):
    """Register the heartbeat's tasks: delayed ledger writes every beat, the ledger sweep per lease."""
    register_task("delayed ledger writes", retry_pending, every=EVERY_HEARTBEAT)
    register_task("ledger sweep", _sweep, every=EVERY_LEASE)
