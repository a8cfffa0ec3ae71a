"""`flask usage-token EMAIL`: a user's usg_ usage token."""
import click

from app.cli.common import fails_clearly
from app.services.credentials import user_tokens
from app.services.accounts import users as users_service


@click.command("usage-token")
@click.argument("email")
@click.option("--rotate", is_flag=True, help="Replace the token; the old one stops working.")
@fails_clearly
def usage_token(email, rotate):
    """Print a user's usage token, minting it on first use."""
    user = users_service.get_user_by_email(email)
    if rotate:
        token = user_tokens.rotate_usage_token(user)
        click.echo(f"rotated the usage token of {user.email}")
    else:
        token, created = user_tokens.ensure_usage_token(user)
        click.echo(f"{'minted a' if created else 'existing'} usage token for {user.email}")
    click.echo(token)
