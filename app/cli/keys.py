"""`flask keys ...`: sk-hyd- LLM keys."""
import click

from app.cli.common import fails_clearly
from app.services.openai import keys as llm_keys
from app.services.accounts import users as users_service


@click.group("keys")
def keys():
    """Create users' LLM keys."""


@keys.command("create")
@click.argument("email")
@click.option("--model", "models", required=True, multiple=True, help="A model id the key may call (repeatable).")
@click.option("--label", help="A label for the key.")
@fails_clearly
def create(email, models, label):
    """Create an LLM key bound to the given model(s); prints the key (shown once)."""
    user = users_service.get_user_by_email(email)
    key, token = llm_keys.create_llm_key(user, model_names=list(models), label=label)
    click.echo(f"created key {key.id} {key.label!r} for {user.email} "
               f"(models: {', '.join(m.name for m in key.models)})")
    click.echo(token)
