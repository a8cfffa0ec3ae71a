"""`flask models ...`: the OpenAI-side model catalogue."""
import click

from app.cli.common import fails_clearly, on_off, usd_option_to_micro
from app.services.openai import catalogue
from app.services.money import format_micro


@click.group("models")
def models():
    """Manage the models served on /v1/chat/completions."""


@models.command("add")
@click.argument("model_id")
@click.option("--upstream-url", required=True, help="The upstream's OpenAI base URL, e.g. http://vllm:8000/v1.")
@click.option("--upstream-model", help="The upstream's name for the model (default: MODEL_ID).")
@click.option("--upstream-api-key", help="Bearer credential for the upstream, if it needs one.")
@click.option("--input-usd-per-mtok", required=True, help="USD per million input tokens.")
@click.option("--output-usd-per-mtok", required=True, help="USD per million output tokens.")
@click.option("--cached-input-usd-per-mtok", help="USD per million cached input tokens (default: input price).")
@click.option("--user-allowed", is_flag=True, help="Let non-admin users call this model.")
@fails_clearly
def add(model_id, upstream_url, upstream_model, upstream_api_key, input_usd_per_mtok,
        output_usd_per_mtok, cached_input_usd_per_mtok, user_allowed):
    """Add a model; prints its id."""
    model = catalogue.add_model(
        model_id,
        upstream_url=upstream_url,
        upstream_model=upstream_model,
        upstream_api_key=upstream_api_key,
        input_micro_usd_per_mtok=usd_option_to_micro(input_usd_per_mtok, "--input-usd-per-mtok"),
        output_micro_usd_per_mtok=usd_option_to_micro(output_usd_per_mtok, "--output-usd-per-mtok"),
        cached_input_micro_usd_per_mtok=usd_option_to_micro(
            cached_input_usd_per_mtok, "--cached-input-usd-per-mtok"),
        user_allowed=user_allowed,
    )
    click.echo(f"added model {model.name} -> {model.upstream_base_url} ({model.upstream_model})")
    click.echo(model.name)


@models.command("set")
@click.argument("model_id")
@click.option("--upstream-url")
@click.option("--upstream-model")
@click.option("--upstream-api-key", help="A new upstream credential ('' removes it).")
@click.option("--input-usd-per-mtok")
@click.option("--output-usd-per-mtok")
@click.option("--cached-input-usd-per-mtok", help="A new cached-input price ('' removes it).")
@click.option("--user-allowed", type=click.Choice(["on", "off"]))
@fails_clearly
def set_(model_id, upstream_url, upstream_model, upstream_api_key, input_usd_per_mtok,
         output_usd_per_mtok, cached_input_usd_per_mtok, user_allowed):
    """Change a model's settings; prints its id."""
    changes = {}
    if upstream_api_key is not None:
        changes["upstream_api_key"] = upstream_api_key or None
    if cached_input_usd_per_mtok is not None:
        changes["cached_input_micro_usd_per_mtok"] = usd_option_to_micro(
            cached_input_usd_per_mtok, "--cached-input-usd-per-mtok") if cached_input_usd_per_mtok else None
    model = catalogue.update_model(
        model_id, upstream_url=upstream_url, upstream_model=upstream_model,
        input_micro_usd_per_mtok=usd_option_to_micro(input_usd_per_mtok, "--input-usd-per-mtok"),
        output_micro_usd_per_mtok=usd_option_to_micro(output_usd_per_mtok, "--output-usd-per-mtok"),
        user_allowed=on_off(user_allowed), **changes)
    click.echo(model.name)


@models.command("list")
def list_():
    """List the catalogue with prices per million tokens."""
    rows = catalogue.list_models()
    if not rows:
        click.echo("the catalogue is empty; add a model with `flask models add`")
        return
    click.echo("id\tinput\tcached\toutput\tuser-allowed\tupstream")
    for m in rows:
        cached = "-" if m.cached_input_micro_usd_per_mtok is None else "$" + format_micro(
            m.cached_input_micro_usd_per_mtok)
        click.echo(f"{m.name}\t${format_micro(m.input_micro_usd_per_mtok)}\t{cached}\t"
                   f"${format_micro(m.output_micro_usd_per_mtok)}\t{'yes' if m.user_allowed else 'no'}\t"
                   f"{m.upstream_base_url} ({m.upstream_model})")


@models.command("remove")
@click.argument("model_id")
@fails_clearly
def remove(model_id):
    """Remove a model (keys lose the binding; ledger rows keep its name); prints its id."""
    catalogue.remove_model(model_id)
    click.echo(model_id)
