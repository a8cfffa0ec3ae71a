"""gunicorn settings for `web:` (Procfile). Every value can be overridden from the environment."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
# One gevent worker per core: each multiplexes many streams; more workers only add memory.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Simultaneous clients per worker, long-lived streams included.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
# For async workers `timeout` is only the worker heartbeat, not a limit on a request,
# so a stream can live as long as the upstream keeps it going.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On deploy/restart, streams in flight get this long to finish before being cut.
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "120"))
keepalive = int(os.environ.get("KEEPALIVE", "5"))
# No --preload: the app must be imported after the gevent worker has patched the stdlib.
preload_app = False
# gunicorn's access log would print raw paths, which carry proxy tokens; the app writes its
# own redacted JSON request log instead.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Large bodies (Claude Code sends long conversations) are allowed through; the app enforces
# MAX_REQUEST_BYTES itself. Header limits stay at gunicorn's defaults.
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Register the worker's heartbeat lease at once and let it sweep dead workers' ledger rows."""
    from flask import Flask

    from app.services.workers import start_gunicorn_worker
    if isinstance(worker.wsgi, Flask):
        start_gunicorn_worker(worker.wsgi)
