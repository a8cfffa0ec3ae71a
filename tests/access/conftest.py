"""Access-control fixtures: every test here is scanned for leaked secrets, and `world` gives
two users (and an admin) with live, revoked and rotated credentials of every kind."""
import pytest

from app.services.credentials import user_tokens
from app.services.openai import keys as llm_keys
from app.services.credentials import machines
from app.services.skills import registry as skills
from tests.access.secret_scan import LeakScan
from tests.dashboard.helpers import DashboardClient
from tests.fakes.anthropic import FakeAnthropic
from tests.skills.conftest import skill_md


@pytest.fixture(autouse=True)
def leak_scan(app, minted_secrets, capsys):
    """Scan this test's logs, output and responses for every secret minted during it."""
    scan = LeakScan(app, minted_secrets, capsys).start()
    try:
        yield scan
    finally:
        scan.stop()
    assert scan.findings() == []


@pytest.fixture
def upstream(app):
    """The fake Anthropic API, with the proxy pointed at it (settings restored afterwards)."""
    saved = app.config["ANTHROPIC_BASE_URL"]
    server = FakeAnthropic().start()
    app.config["ANTHROPIC_BASE_URL"] = server.url
    yield server
    app.config["ANTHROPIC_BASE_URL"] = saved
    server.stop()


class Browser(DashboardClient):
    """A DashboardClient that reads every body to its end and closes it, as a WSGI server does
    (an unclosed proxy stream would keep its request's database work open past the test)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def browser(app, user=None):
    """A cookie-keeping client; signed in as `user` when given."""
    client = Browser(app, app.response_class, use_cookies=True)
    return client.login(user) if user is not None else client


class Person:
    """A user with every kind of credential: live ones, and dead ones (revoked, rotated)."""

    def __init__(self, factories, model, *, admin=False):
        self.user = factories.user(admin=admin)
        user = self.user
        self.old_account_key = user.account_key
        self.account_key = user_tokens.rotate_account_key(user)
        self.machine = factories.machine(user)
        self.revoked_machine = factories.machine(user)
        self.revoked_token = self.revoked_machine.token
        machines.revoke_machine(user, self.revoked_machine.id)
        self.rotated_machine = factories.machine(user)
        self.old_proxy_token = self.rotated_machine.token
        machines.rotate_machine_token(user, self.rotated_machine.id)
        self.key = factories.llm_key(user, [model])
        deleted = factories.llm_key(user, [model])
        self.deleted_key = deleted.token
        llm_keys.delete_llm_key(user, deleted.id)
        self.rotated_key = factories.llm_key(user, [model])
        self.old_llm_key = self.rotated_key.token
        llm_keys.rotate_llm_key(user, self.rotated_key.id)
        self.old_usage_token = factories.usage_token(user)
        self.usage_token = user_tokens.rotate_usage_token(user)
        self.old_skills_key = skills.get_or_create_access_key(user)
        self.skills_key = skills.rotate_access_key(user)
        self.skill, _ = skills.import_skill(user, skill_md(f"skill-of-user-{user.id}"))
        self.skill_name = self.skill.name


class World:
    def __init__(self, factories):
        self.model = factories.model("shared-model")
        self.other_model = factories.model("other-model")
        self.spare_model_name = factories.model("spare-model").name  # what the admin routes edit and remove
        self.account = factories.pooled_account("first", api_key="sk-ant-api03-pooled-first")
        self.second_account_id = factories.pooled_account("second", api_key="sk-ant-api03-pooled-second").id
        self.alice = Person(factories, self.model)
        self.bob = Person(factories, self.other_model)
        self.admin = Person(factories, self.model, admin=True)


@pytest.fixture
def world(factories):
    return World(factories)
