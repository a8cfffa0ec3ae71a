"""`flask skills ...`: publish, unpublish, list and manage skills in the registry.

NAME means the skill of that name; when several users have one, --owner EMAIL says whose.
"""
import click

from app.cli.common import fails_clearly
from app.services.skills import registry as skills_service
from app.services.accounts import users as users_service
from app.services.skills.documents import MAX_DOCUMENT_BYTES
from app.services.timestamps import iso


@click.group("skills")
def skills():
    """Publish, unpublish, list and import SKILL.md documents."""


@skills.command("list")
@click.option("--owner", "owner_email", metavar="EMAIL", help="Only this user's skills.")
@click.option("--public", "public_only", is_flag=True, help="Only public skills.")
@fails_clearly
def list_(owner_email, public_only):
    """List skills: name, owner, public/private, size in bytes, last change."""
    for skill in skills_service.list_all_skills(owner_email=owner_email, public_only=public_only):
        click.echo(f"{skill.name}\t{skill.owner.email}\t{'public' if skill.is_public else 'private'}\t"
                   f"{skill.size_bytes}\t{iso(skill.updated_at)}")


@skills.command("publish")
@click.argument("name")
@click.option("--owner", "owner_email", metavar="EMAIL",
              help="Whose skill, when more than one user has a skill called NAME.")
@fails_clearly
def publish(name, owner_email):
    """Make a skill public at /skills/NAME; prints its name."""
    skill, changed = skills_service.publish_skill(name, owner_email)
    click.echo(f"{'published' if changed else 'already public:'} {skill.name} of {skill.owner.email}")
    click.echo(skill.name)


@skills.command("unpublish")
@click.argument("name")
@fails_clearly
def unpublish(name):
    """Make the public skill NAME private again (its owner keeps it); prints its name."""
    skill = skills_service.unpublish_skill(name)
    click.echo(f"unpublished {skill.name} of {skill.owner.email}")
    click.echo(skill.name)


@skills.command("import")
@click.argument("email")
@click.argument("path", type=click.File("rb"))
@click.option("--publish", "and_publish", is_flag=True, help="Also make it public.")
@fails_clearly
def import_(email, path, and_publish):
    """Save a SKILL.md file ('-' for stdin) as one of EMAIL's skills; prints its name."""
    user = users_service.get_user_by_email(email)
    skill, created = skills_service.import_skill(user, path.read(MAX_DOCUMENT_BYTES + 1))
    click.echo(f"{'created' if created else 'replaced'} {skill.name} for {user.email}")
    if and_publish:
        _, changed = skills_service.publish_skill(skill.name, user.email)
        click.echo(f"{'published' if changed else 'already public:'} {skill.name}")
    click.echo(skill.name)


@skills.command("delete")
@click.argument("name")
@click.option("--owner", "owner_email", metavar="EMAIL",
              help="Whose skill, when more than one user has a skill called NAME.")
@fails_clearly
def delete(name, owner_email):
    """Delete a skill (and its public page); prints its name."""
    skill = skills_service.find_skill_for_admin(name, owner_email)
    owner = skill.owner
    skills_service.delete_user_skill(owner, skill.name)
    click.echo(f"deleted {name} of {owner.email}")
    click.echo(name)


@skills.command("access-key")
@click.argument("email")
@click.option("--rotate", is_flag=True, help="Replace the key; the old capability URL stops working.")
@fails_clearly
def access_key(email, rotate):
    """Print a user's skl_ access key (the secret in their /me/<key>/ URL), minting it on first use."""
    user = users_service.get_user_by_email(email)
    if rotate:
        key = skills_service.rotate_access_key(user)
        click.echo(f"rotated the skills access key of {user.email}")
    else:
        key = skills_service.get_or_create_access_key(user)
        click.echo(f"skills access key of {user.email} (its URL: /me/<key>/)")
    click.echo(key)
