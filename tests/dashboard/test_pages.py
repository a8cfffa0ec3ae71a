"""Server-rendered pages through the test client: what they show, what their forms change."""
import re

from app.models import LlmKey, PooledAccount
from app.services.accounts import users
from app.services.credentials import user_tokens
from app.services.openai import catalogue
from tests.dashboard.helpers import add_claude_request, add_spend, days_ago, record_pool_usage, refresh
from tests.lookups import key_of, machine_of


def text(response):
    return response.get_data(as_text=True)


def test_overview_draws_the_spend_chart_against_the_cap(make_client, factories):
    user = factories.user(cap_usd="20", hep_tokens="250")
    add_spend(user, 2_500_000, at=days_ago(1))
    add_spend(user, 1_000_000, at=days_ago(10))
    page = text(make_client(user).get("/dashboard/"))
    assert '<svg id="spend-chart"' in page
    assert len(re.findall(r'<rect class="bar"', page)) == 31  # every UTC day of the window
    assert "cap $20" in page and "$3.50" in page and "$16.50" in page
    assert "Spend over the last 31 days: $3.5 of a $20 cap." in page
    assert re.search(r'<polyline class="cumulative" points="(\d+(\.\d+)?,\d+(\.\d+)? ){30}\d', page)
    assert 'data-testid="hep-tokens">250' in page


def test_overage_is_set_from_the_overview_form(make_client, factories):
    user = factories.user()
    client = make_client(user)
    response = client.form("/dashboard/overage", {"overage_enabled": "on", "overage_cap_usd": "15"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    assert refresh(user).overage_enabled is True and user.overage_cap_micro_usd == 15_000_000
    assert "Overage is on." in text(client.get("/dashboard/"))
    client.form("/dashboard/overage", {"overage_cap_usd": "15"})  # unticked checkbox: off
    assert refresh(user).overage_enabled is False
    bad = client.form("/dashboard/overage", {"overage_enabled": "on", "overage_cap_usd": "lots"})
    assert bad.status_code == 400 and "at most 6 decimal places" in text(bad)
    assert refresh(user).overage_enabled is False


def test_rotating_the_account_key_on_the_overview_shows_it_once(make_client, factories):
    user = factories.user()
    client = make_client(user)
    page = text(client.form("/dashboard/account-key/rotate"))
    key = re.search(r'value="(ccas_[^"]+)"', page).group(1)
    assert user_tokens.user_for_account_key(key).id == user.id
    assert key not in text(client.get("/dashboard/"))


def test_llm_keys_page_creates_shows_once_rotates_and_deletes_with_confirmation(make_client, factories):
    factories.model("qwen3-8b")
    user = factories.user()
    client = make_client(user)
    created = client.form("/dashboard/keys", {"label": "laptop", "model": "qwen3-8b"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(sk-hyd-[^"]+)"', text(created)).group(1)
    assert "only time it is shown" in text(created)
    key = key_of(secret)
    assert key.label == "laptop"
    listing = text(client.get("/dashboard/keys"))
    assert secret not in listing and key.key_prefix in listing

    rotated = text(client.form(f"/dashboard/keys/{key.id}/rotate"))
    new_secret = re.search(r'value="(sk-hyd-[^"]+)"', rotated).group(1)
    assert new_secret != secret and key_of(secret) is None

    confirm = client.get(f"/dashboard/keys/{key.id}/delete")
    assert confirm.status_code == 200 and "Delete LLM key laptop?" in text(confirm)
    assert refresh(key).deleted_at is None  # asking deletes nothing
    deleted = client.form(f"/dashboard/keys/{key.id}/delete")
    assert deleted.status_code == 302
    assert refresh(key).deleted_at is not None
    assert "Deleted key laptop." in text(client.get("/dashboard/keys"))


def test_llm_key_form_errors_are_shown_next_to_the_field(make_client, factories):
    factories.model("qwen3-8b")
    factories.model("llama-3")
    client = make_client(factories.user())
    response = client.form("/dashboard/keys", {"label": "x"})
    assert response.status_code == 400
    assert "Choose one of: llama-3, qwen3-8b." in text(response)
    assert LlmKey.query.count() == 0


def test_machines_page_shows_usage_and_manages_machines(make_client, factories):
    user = factories.user()
    machine = factories.machine(user, "laptop")
    add_claude_request(machine, input_tokens=1234, output_tokens=56, cache_read=7890, cost_micro_usd=2_340_000)
    client = make_client(user)
    page = text(client.get("/dashboard/machines"))
    assert "laptop" in page and "1,234" in page and "7,890" in page and "$2.34" in page

    rotated = text(client.form(f"/dashboard/machines/{machine.id}/rotate"))
    token = re.search(r'value="(cct_[^"]+)"', rotated).group(1)
    assert machine_of(token).id == machine.id

    client.form(f"/dashboard/machines/{machine.id}/passthrough")
    assert refresh(machine).passthrough is True
    assert "Revoke machine laptop?" in text(client.get(f"/dashboard/machines/{machine.id}/revoke"))
    client.form(f"/dashboard/machines/{machine.id}/revoke")
    assert refresh(machine).revoked_at is not None

    created = text(client.form("/dashboard/machines", {"name": "desktop"}))
    assert re.search(r'value="cct_[^"]+"', created)
    empty = client.form("/dashboard/machines", {"name": ""})
    assert empty.status_code == 400 and "Missing data for required field." in text(empty)


def test_usage_token_page_reveals_and_rotates(make_client, factories):
    user = factories.user()
    client = make_client(user)
    assert "Create usage token" in text(client.get("/dashboard/usage-token"))
    rotate = {"action": "rotate"}
    first = re.search(r'value="(usg_[^"]+)"', text(client.form("/dashboard/usage-token", rotate))).group(1)
    revealed = text(client.form("/dashboard/usage-token", {"action": "reveal"}))
    assert f'value="{first}"' in revealed
    assert first not in text(client.get("/dashboard/usage-token"))
    second = re.search(r'value="(usg_[^"]+)"', text(client.form("/dashboard/usage-token", rotate))).group(1)
    assert second != first and user_tokens.user_for_usage_token(first) is None


def test_pooled_accounts_page_shows_usage_bars_and_the_active_flag(make_client, factories):
    first = factories.pooled_account("team")
    factories.pooled_account("spare")
    record_pool_usage(first, 42.0, 97.5)
    page = text(make_client(factories.user()).get("/dashboard/accounts"))
    assert page.count('data-testid="active-flag"') == 1
    assert re.search(r'<meter[^>]*value="42.0"', page) and re.search(r'<meter[^>]*value="97.5"', page)
    assert "no data yet" in page  # the spare account has no snapshot


def test_other_users_objects_are_404_pages(make_client, factories):
    model = factories.model("qwen3-8b")
    owner = factories.user()
    key = factories.llm_key(owner, [model])
    machine = factories.machine(owner)
    client = make_client(factories.user())
    for path in (f"/dashboard/keys/{key.id}/delete", f"/dashboard/machines/{machine.id}/revoke"):
        assert client.get(path).status_code == 404
        assert client.form(path).status_code == 404
    for path in (f"/dashboard/keys/{key.id}/rotate", f"/dashboard/machines/{machine.id}/rotate",
                 f"/dashboard/machines/{machine.id}/passthrough"):
        assert client.form(path).status_code == 404
    assert key_of(key.token).id == key.id and refresh(machine).revoked_at is None


def test_admin_pool_page_adds_activates_disables_and_removes(make_client, factories):
    admin = factories.user(admin=True)
    client = make_client(admin)
    added = client.form("/dashboard/admin/pool", {"label": "team", "kind": "api_key", "api_key": "sk-ant-api03-k"})
    assert added.status_code == 302
    client.form("/dashboard/admin/pool", {"label": "max", "kind": "oauth", "oauth_access_token": "sk-ant-oat01-t",
                                          "oauth_expires_at": "2026-12-01T08:00:00Z", "api_key": "ignored"})
    team, max_ = PooledAccount.query.order_by(PooledAccount.id).all()
    assert team.is_active and max_.kind == "oauth"
    page = text(client.get("/dashboard/admin/pool"))
    assert "sk-ant-api03-k" not in page and "sk-ant-oat01-t" not in page and "Added max." in page
    client.form(f"/dashboard/admin/pool/{max_.id}/activate")
    assert refresh(max_).is_active and not refresh(team).is_active
    client.form(f"/dashboard/admin/pool/{team.id}/disable")
    assert refresh(team).disabled is True
    assert "Remove pooled account team?" in text(client.get(f"/dashboard/admin/pool/{team.id}/remove"))
    client.form(f"/dashboard/admin/pool/{team.id}/remove")
    assert [a.label for a in PooledAccount.query.all()] == ["max"]
    bad = client.form("/dashboard/admin/pool", {"label": "", "kind": "api_key"})
    assert bad.status_code == 400 and "Missing data for required field." in text(bad)


def test_admin_models_page_adds_edits_and_removes(make_client, factories):
    client = make_client(factories.user(admin=True))
    client.form("/dashboard/admin/models", {"id": "Qwen/Qwen3-8B", "upstream_url": "http://vllm:8000/v1",
                                            "input_usd_per_mtok": "0.05", "output_usd_per_mtok": "0.2",
                                            "upstream_api_key": "upstream-secret-k1", "user_allowed": "on"})
    model = catalogue.get_model("Qwen/Qwen3-8B")
    assert model.user_allowed and model.upstream_model == "Qwen/Qwen3-8B"
    edit = client.get("/dashboard/admin/models/Qwen/Qwen3-8B/edit")
    assert edit.status_code == 200 and 'value="0.05"' in text(edit) and "upstream-secret-k1" not in text(edit)
    saved = client.form("/dashboard/admin/models/Qwen/Qwen3-8B/edit", {
        "upstream_url": "http://vllm:9000/v1", "upstream_model": "Qwen/Qwen3-8B", "input_usd_per_mtok": "0.06",
        "output_usd_per_mtok": "0.2", "cached_input_usd_per_mtok": ""})
    assert saved.status_code == 302
    model = refresh(model)
    assert model.upstream_base_url == "http://vllm:9000/v1" and model.input_micro_usd_per_mtok == 60_000
    assert model.user_allowed is False and catalogue.upstream_api_key(model) == "upstream-secret-k1"  # blank key: kept
    bad = client.form("/dashboard/admin/models/Qwen/Qwen3-8B/edit", {"upstream_url": "nope", "input_usd_per_mtok": "x"})
    assert bad.status_code == 400 and "Must be a non-negative number" in text(bad)
    client.form("/dashboard/admin/models/Qwen/Qwen3-8B/remove")
    assert catalogue.find_model("Qwen/Qwen3-8B") is None


def test_admin_users_page_creates_users_and_sets_caps_and_hep_tokens(make_client, factories):
    admin = factories.user(admin=True)
    client = make_client(admin)
    created = text(client.form("/dashboard/admin/users", {"email": "bo@example.com", "password": "long password 1"}))
    assert re.search(r'value="ccas_[^"]+"', created)
    bo = users.get_user_by_email("bo@example.com")
    client.form(f"/dashboard/admin/users/{bo.id}", {"cap_usd": "75", "hep_tokens": "500", "overage_cap_usd": "3",
                                                    "overage_enabled": "on"})
    refresh(bo)
    assert (bo.cap_micro_usd, bo.hep_token_balance_micro, bo.overage_enabled) == (75_000_000, 500_000_000, True)
    own = client.form(f"/dashboard/admin/users/{admin.id}", {"cap_usd": "1"})  # is_admin unticked
    assert own.status_code == 409 and "You cannot withdraw your own admin rights." in text(own)
    assert refresh(admin).is_admin is True


def test_non_admins_do_not_see_admin_links(make_client, factories):
    page = text(make_client(factories.user()).get("/dashboard/"))
    assert "/dashboard/admin/" not in page
    admin_page = text(make_client(factories.user(admin=True)).get("/dashboard/"))
    assert 'href="/dashboard/admin/pool"' in admin_page
