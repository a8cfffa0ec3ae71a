"""This process's identity as a worker, kept alive by a heartbeat lease in the database.

A process that admits requests registers once, under a lease named `worker:<32 hex>` (the
first time a ledger row needs its id, or when gunicorn starts the worker), and renews it from
a background thread — a greenlet under gevent — every WORKER_LEASE_SECONDS / 6. Ledger rows
carry that id, so a sweeper can tell the rows of a dead worker (lease expired) from those of a
live one, however long a live stream runs. The same thread runs the tasks registered at
start-up (app.services.upkeep.tasks): on every heartbeat (retrying ledger writes that failed
while the database was away) and, in gunicorn workers, shortly after start and then once per
lease period (the ledger sweeper). This module imports none of them.
"""
import logging
import os
import threading
import time
import uuid

from flask import current_app

from app.services.db.leases import acquire_lease

logger = logging.getLogger("hepgg.workers")
WORKER_PREFIX = "worker:"
HEARTBEATS_PER_LEASE = 6
_EXTENSION = "hepgg.worker"
_lock = threading.Lock()
_generation = 0
EVERY_HEARTBEAT = "heartbeat"
EVERY_LEASE = "lease"  # only in processes that sweep (gunicorn workers)
_tasks = {}  # name -> (when, function)


def _after_fork_in_child():
    # A forked child is a new worker: what the parent registered is not its own.
    global _generation
    _generation += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


def register_task(name, function, *, every):
    """Run `function()` inside the app context on every heartbeat (EVERY_HEARTBEAT) or once per
    lease period in sweeping processes (EVERY_LEASE). A string it returns is logged as a warning;
    an exception ends that heartbeat, which the next one retries. Registering a name again replaces it."""
    _tasks[name] = (every, function)


class Worker:
    """One process's registration: its id, its lease period and its heartbeat thread."""

    def __init__(self, app):
        self.app = app
        self.id = WORKER_PREFIX + uuid.uuid4().hex
        self.generation = _generation
        self.lease_seconds = float(app.config["WORKER_LEASE_SECONDS"])
        self.sweeps = False
        self._failing = False
        self._next_sweep = None

    @property
    def interval(self):
        """Seconds between two heartbeats."""
        return self.lease_seconds / HEARTBEATS_PER_LEASE

    def renew(self):
        """Take or extend this worker's lease for one lease period."""
        with self.app.app_context():
            if not acquire_lease(self.id, self.id, self.lease_seconds):
                logger.error("worker lease %s is held by someone else", self.id)

    def start(self):
        """Start the heartbeat thread (daemon: it never keeps the process alive)."""
        threading.Thread(target=self._run, name="hepgg-worker-heartbeat", daemon=True).start()

    def enable_sweeps(self):
        """Also run the EVERY_LEASE tasks from this heartbeat: first after one heartbeat, then once per lease."""
        self.sweeps = True
        self._next_sweep = time.monotonic() + self.interval

    def _run(self):
        while True:
            time.sleep(self.interval)  # a greenlet sleep under gevent
            self.beat()

    def beat(self):
        """One heartbeat: renew the lease, then run the registered tasks that are due. Never raises."""
        try:
            self.renew()
            sweep_due = self.sweeps and time.monotonic() >= self._next_sweep
            if sweep_due:
                self._next_sweep = time.monotonic() + self.lease_seconds
            for name, (every, function) in list(_tasks.items()):
                if every == EVERY_HEARTBEAT or sweep_due:
                    with self.app.app_context():
                        report = function()
                    if isinstance(report, str) and report:
                        logger.warning("%s: %s", name, report)
        except Exception as exc:  # the database is away; the next heartbeat tries again
            if not self._failing:
                logger.warning("worker heartbeat failed (%s); retrying every %.1fs", type(exc).__name__,
                               self.interval)
            self._failing = True
            return
        if self._failing:
            logger.info("worker heartbeat: the database answers again")
        self._failing = False


def _registered(app):
    worker = app.extensions.get(_EXTENSION)
    return worker if worker is not None and worker.generation == _generation else None


def start_worker(app, *, sweeps=False):
    """Register this process for `app` (once) and start its heartbeat; returns the Worker.

    A failed first registration (database away) is logged; the heartbeat keeps trying.
    """
    with _lock:
        worker = _registered(app)
        if worker is None:
            worker = Worker(app)
            try:
                worker.renew()
            except Exception as exc:
                logger.warning("could not register worker %s yet (%s)", worker.id, type(exc).__name__)
            app.extensions[_EXTENSION] = worker
            worker.start()
        if sweeps and not worker.sweeps:
            worker.enable_sweeps()
        return worker


def current_worker_id():
    """The id ledger rows of this process carry (registers the process on first use)."""
    app = current_app._get_current_object()
    worker = _registered(app)
    if worker is None:
        worker = start_worker(app)
    return worker.id


def start_gunicorn_worker(app):
    """gunicorn's post_worker_init: register at once, and let this worker sweep too."""
    return start_worker(app, sweeps=True)
