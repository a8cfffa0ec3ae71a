"""`flask users ...`: create and configure people."""
import secrets

import click

from app.cli.common import fails_clearly, on_off, usd_option_to_micro
from app.services.accounts import users as users_service
from app.services.money import format_micro, parse_micro

ON_OFF = click.Choice(["on", "off"])


@click.group("users")
def users():
    """Create users and set their caps, overage and hep tokens."""


@users.command("create")
@click.argument("email")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--cap-usd", help="Rolling 30-day cap in USD (default DEFAULT_MONTHLY_CAP_USD).")
@fails_clearly
def create(email, password, admin, cap_usd):
    """Create a user; prints their ccas_ account key once, then the user id."""
    user, account_key = users_service.create_user(
        email, password, is_admin=admin, cap_micro_usd=usd_option_to_micro(cap_usd, "--cap-usd"))
    click.echo(f"created {'admin' if user.is_admin else 'user'} {user.email}")
    click.echo(f"account key (shown once): {account_key}")
    click.echo(user.id)


@users.command("set")
@click.argument("email")
@click.option("--cap-usd", help="Rolling 30-day cap in USD.")
@click.option("--overage", type=ON_OFF, help="Opt in to (on) or out of (off) metered overage.")
@click.option("--overage-cap-usd", help="Overage cap in USD per rolling 30 days.")
@click.option("--hep-tokens", help="Set the hep-token balance.")
@click.option("--admin", type=ON_OFF, help="Grant (on) or withdraw (off) admin rights.")
@fails_clearly
def set_(email, cap_usd, overage, overage_cap_usd, hep_tokens, admin):
    """Change a user's settings; prints the user id."""
    user = users_service.get_user_by_email(email)
    users_service.update_user(
        user,
        cap_micro_usd=usd_option_to_micro(cap_usd, "--cap-usd"),
        overage_enabled=on_off(overage),
        overage_cap_micro_usd=usd_option_to_micro(overage_cap_usd, "--overage-cap-usd"),
        hep_token_balance_micro=None if hep_tokens is None else parse_micro(hep_tokens, what="--hep-tokens"),
        is_admin=on_off(admin),
    )
    click.echo(f"{user.email}: cap ${format_micro(user.cap_micro_usd)}, "
               f"overage {'on' if user.overage_enabled else 'off'} "
               f"(cap ${format_micro(user.overage_cap_micro_usd)}), "
               f"hep tokens {format_micro(user.hep_token_balance_micro)}"
               f"{', admin' if user.is_admin else ''}")
    click.echo(user.id)


@users.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The new password (prompted for when omitted).")
@fails_clearly
def set_password(email, password):
    """Replace a user's password; prints the user id."""
    user = users_service.get_user_by_email(email)
    users_service.set_password(user, password)
    click.echo(user.id)


@users.command("list")
def list_():
    """List users with their caps."""
    for user in sorted(users_service.list_users(), key=lambda user: user.id):
        click.echo(f"{user.id}\t{user.email}\t{'admin' if user.is_admin else 'user'}\t"
                   f"cap ${format_micro(user.cap_micro_usd)}\t"
                   f"overage {'on' if user.overage_enabled else 'off'}\t"
                   f"hep {format_micro(user.hep_token_balance_micro)}")


@users.command("bootstrap-admin")
@click.option("--email", default="admin@localhost", show_default=True)
@fails_clearly
def bootstrap_admin(email):
    """On a database with no users, create an admin and print its password once."""
    if users_service.count_users() > 0:
        click.echo("users already exist; no admin created")
        return
    password = secrets.token_urlsafe(12)
    user, _ = users_service.create_user(email, password, is_admin=True)
    click.echo(f"created the first admin: {user.email}")
    click.echo(f"password (shown once, change it with `flask users set-password`): {password}")
