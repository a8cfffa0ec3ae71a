"""Fixtures for the skills registry: SKILL.md builders, users with access keys, a skills-host app."""
import pytest

import config as config_module
from app import create_app
from app.services.skills import registry as skills_service

SKILLS_HOST = "skills.example.test"


def skill_md(name="pdf-tools", description="Fill and merge PDF forms.", body="# PDF tools\n\nUse pdftk.\n",
             *, newline="\n", extra=""):
    """A SKILL.md as bytes; `newline` sets the line endings throughout."""
    text = f"---\nname: {name}\ndescription: {description}\n{extra}---\n{body}"
    return text.replace("\n", newline).encode("utf-8")


class Owner:
    """A user with a skills access key, and helpers for their capability URLs."""

    def __init__(self, user):
        self.user = user
        self.key = skills_service.get_or_create_access_key(user)

    def path(self, rest=""):
        return f"/me/{self.key}/{rest}"

    def import_(self, client, document, **kwargs):
        return client.post(self.path("import"), data=document, content_type="text/markdown", **kwargs)


@pytest.fixture
def owner(factories):
    return Owner(factories.user())


@pytest.fixture
def make_owner(factories):
    return lambda email=None: Owner(factories.user(email))


@pytest.fixture(scope="session")
def skills_host_app(app):
    """The app as deployed with SKILLS_HOST set, on the suite's database."""
    class SkillsHostConfig(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SKILLS_HOST = SKILLS_HOST

    return create_app(SkillsHostConfig)


@pytest.fixture
def host_client(skills_host_app):
    return skills_host_app.test_client()
