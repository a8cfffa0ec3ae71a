"""Admin commands (`flask --app wsgi ...`, SPEC §10): one module per group."""
from app.cli import keys, ledger, machines, models, pool, secrets_cmd, skills, usage, usage_token, users


def init_app(app):
    """Register every command group on the app."""
    for command in (users.users, pool.pool, models.models, machines.machines, keys.keys,
                    usage_token.usage_token, usage.usage, secrets_cmd.secrets, skills.skills,
                    ledger.ledger):
        app.cli.add_command(command)
