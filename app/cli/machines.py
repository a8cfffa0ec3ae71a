"""`flask machines ...`: machines and their proxy tokens."""
import click

from app.cli.common import fails_clearly
from app.services.credentials import machines as machines_service
from app.services.accounts import users as users_service


@click.group("machines")
def machines():
    """Create and list users' machines."""


@machines.command("create")
@click.argument("email")
@click.option("--name", required=True, help="A name for the machine.")
@click.option("--passthrough", is_flag=True, help="Forward the caller's own Anthropic credential.")
@fails_clearly
def create(email, name, passthrough):
    """Create a machine for a user; prints its proxy token (shown once)."""
    user = users_service.get_user_by_email(email)
    machine, token = machines_service.create_machine(user, name, passthrough=passthrough)
    click.echo(f"created machine {machine.id} {machine.name!r} for {user.email}"
               f"{' (passthrough)' if machine.passthrough else ''}")
    click.echo(token)


@machines.command("list")
@click.argument("email")
@fails_clearly
def list_(email):
    """List a user's machines."""
    user = users_service.get_user_by_email(email)
    for m in machines_service.list_machines(user):
        state = "revoked" if m.is_revoked else ("passthrough" if m.passthrough else "pooled")
        click.echo(f"{m.id}\t{m.name}\t{state}\t{m.token_prefix}…")
