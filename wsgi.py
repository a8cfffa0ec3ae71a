"""WSGI entry point. gevent patches the standard library before anything else is imported."""
from gevent import monkey

monkey.patch_all()

# psycopg2 is a C extension that monkey-patching cannot reach: psycogreen makes it wait
# on the gevent hub, so a PostgreSQL query never blocks every other request in the worker.
from psycogreen.gevent import patch_psycopg  # noqa: E402

patch_psycopg()

from app import create_app  # noqa: E402

app = create_app()
