"""`flask ledger sweep`: finish the rows that dead worker processes left in progress."""
import click

from app.services.upkeep.sweeper import sweep_interrupted_requests


@click.group("ledger")
def ledger():
    """The request ledgers."""


@ledger.command("sweep")
def sweep():
    """Mark rows of dead workers `interrupted` and release their reservations (safe to run anywhere, any time)."""
    result = sweep_interrupted_requests()
    click.echo(f"claude_requests: {result.claude} interrupted")
    click.echo(f"llm_requests: {result.llm} interrupted, {result.released_micro_usd} micro-USD released")
    click.echo(f"ledger sweep: {result.rows} rows")
