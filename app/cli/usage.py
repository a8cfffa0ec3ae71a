"""`flask usage refresh [--loop] [--interval SECONDS]`: the usage refresher (Procfile `worker:`)."""
import logging
import signal
import threading

import click

from app.extensions import db
from app.services.upkeep.sweeper import sweep_interrupted_requests
from app.services.pool.usage_refresher import DEFAULT_INTERVAL_SECONDS, refresh_pool_usage

logger = logging.getLogger("hepgg.usage_refresher")


@click.group("usage")
def usage():
    """The pool's usage cache."""


def _echo_pass(results):
    for result in results:
        click.echo(f"account {result.account_id} ({result.label}): {result.action} {result.outcome}")
    polled = sum(1 for r in results if r.action == "polled")
    click.echo(f"usage refresh: polled {polled} of {len(results)} pooled accounts")


def _stop_on_signals(stop):
    """SIGTERM (the platform stopping the worker) and Ctrl-C end the loop after the current account."""
    def handle(_signum, _frame):
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)


def _sweep_ledgers():
    """Each pass also finishes the ledger rows of dead web workers (app.services.ledger_sweeper)."""
    try:
        result = sweep_interrupted_requests()
    except Exception:  # a failed sweep must not cost the pool its usage refresh; the next pass sweeps again
        db.session.rollback()
        logger.exception("ledger sweep failed")
        return
    if result.rows:
        click.echo(f"ledger sweep: {result.describe()}")


@usage.command("refresh")
@click.option("--loop", is_flag=True, help="Keep refreshing, one pass per interval, until stopped.")
@click.option("--interval", type=click.IntRange(min=1), default=DEFAULT_INTERVAL_SECONDS, show_default=True,
              help="Seconds between polls of one account; also the pause between passes.")
def refresh(loop, interval):
    """Poll Anthropic's OAuth usage endpoint for the pooled OAuth accounts that are due."""
    stop = threading.Event()
    if loop:
        _stop_on_signals(stop)
        click.echo(f"usage refresher running every {interval}s")
    while True:
        try:
            _sweep_ledgers()
            _echo_pass(refresh_pool_usage(interval=interval, should_stop=stop.is_set))
        except Exception as exc:
            db.session.rollback()
            logger.exception("usage refresh pass failed")
            if not loop:
                raise click.ClickException(f"usage refresh failed: {type(exc).__name__}") from None
            # The worker outlives a failed pass (the database restarting, say) and tries again next interval.
        if not loop or stop.wait(interval):
            break
    if loop:
        click.echo("usage refresher stopped")
