"""`flask pool ...`: the shared pool of Claude accounts."""
import click

from app.cli.common import fails_clearly, parse_expiry, secret_argument
from app.services.pool import accounts as pool_accounts
from app.services.pool import active as pool_active
from app.services.timestamps import iso


@click.group("pool")
def pool():
    """Add, list, activate and remove pooled Claude accounts."""


@pool.command("add")
@click.option("--label", required=True, help="A name for the account, unique in the pool.")
@click.option("--api-key", help="An Anthropic API key (sk-ant-api...); '-' reads it from stdin.")
@click.option("--oauth-access-token", help="An OAuth access token (sk-ant-oat...); '-' reads stdin.")
@click.option("--oauth-refresh-token", help="Its refresh token (sk-ant-ort...); '-' reads stdin.")
@click.option("--oauth-expires-at", help="When the access token expires (ISO 8601).")
@fails_clearly
def add(label, api_key, oauth_access_token, oauth_refresh_token, oauth_expires_at):
    """Add an account (API key, or OAuth token pair); prints its id. The first one becomes active."""
    if bool(api_key) == bool(oauth_access_token):
        raise click.UsageError("give exactly one of --api-key or --oauth-access-token")
    if api_key and (oauth_refresh_token or oauth_expires_at):
        raise click.UsageError("--oauth-refresh-token and --oauth-expires-at go with --oauth-access-token")
    account = pool_accounts.add_pooled_account(
        label,
        api_key=secret_argument(api_key, "--api-key") if api_key else None,
        oauth_access_token=secret_argument(oauth_access_token, "--oauth-access-token")
        if oauth_access_token else None,
        oauth_refresh_token=secret_argument(oauth_refresh_token, "--oauth-refresh-token")
        if oauth_refresh_token else None,
        oauth_expires_at=parse_expiry(oauth_expires_at),
        via="admin_cli",
    )
    click.echo(f"added {account.kind} account {account.label!r}{' (active)' if account.is_active else ''}")
    click.echo(account.id)


def _window_percent(account, key):
    window = ((account.usage_snapshot or {}).get("windows") or {}).get(key) or {}
    value = window.get("utilization_percent")
    return "-" if value is None else f"{value:g}%"


@pool.command("list")
def list_():
    """List pooled accounts with status and cached 5h/7d utilisation."""
    accounts = pool_accounts.list_pooled_accounts()
    if not accounts:
        click.echo("the pool is empty; add an account with `flask pool add`")
        return
    click.echo("id\tactive\tkind\tstatus\t5h\t7d\tfetched\tlabel")
    for account in accounts:
        click.echo("\t".join([
            str(account.id), "*" if account.is_active else "", account.kind,
            pool_accounts.account_status(account), _window_percent(account, "five_hour"),
            _window_percent(account, "seven_day"), iso(account.usage_updated_at) or "-", account.label]))


@pool.command("activate")
@click.argument("account_id", type=int)
@fails_clearly
def activate(account_id):
    """Make an account the globally active one; prints its id."""
    account = pool_active.activate_pooled_account(account_id, via="admin_cli")
    click.echo(f"active account: {account.label!r}")
    click.echo(account.id)


@pool.command("remove")
@click.argument("account_id", type=int)
@fails_clearly
def remove(account_id):
    """Remove an account and its credentials; prints its id."""
    pool_accounts.remove_pooled_account(account_id, via="admin_cli")
    active = pool_active.active_pooled_account()
    click.echo(f"removed; active account: {active.label if active else 'none (the pool is empty)'}")
    click.echo(account_id)


@pool.command("disable")
@click.argument("account_id", type=int)
@fails_clearly
def disable(account_id):
    """Take an account out of service; prints its id."""
    pool_accounts.set_pooled_account_disabled(account_id, True, via="admin_cli")
    click.echo(account_id)


@pool.command("enable")
@click.argument("account_id", type=int)
@fails_clearly
def enable(account_id):
    """Put a disabled account back in service; prints its id."""
    pool_accounts.set_pooled_account_disabled(account_id, False, via="admin_cli")
    click.echo(account_id)
