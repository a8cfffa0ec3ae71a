"""The dashboard in a real browser: Debian's chromium driven by Playwright against a live server.

Without /usr/bin/chromium these tests skip, unless CI is set (then they fail: .ci/run installs
chromium with apt). Screenshots of every page go to tests/artifacts/.
"""
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from app.extensions import db
from app.models import LlmKey, PooledAccount
from app.services.credentials import user_tokens
from tests.dashboard.helpers import add_claude_request, add_spend, days_ago, record_pool_usage, refresh
from tests.lookups import key_of
from tests.skills.conftest import skill_md

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _require_chromium():
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: .ci/run must install it (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); with CI set this fails instead")


@pytest.fixture
def browser_page():
    """A fresh chromium profile (its own user-data dir) and one page in it."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="hepgg-chromium-")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.pages[0] if context.pages else context.new_page()
        yield page
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base_url, user):
    page.goto(base_url + "/dashboard/")
    assert page.url.startswith(base_url + "/dashboard/login")
    shot(page, "sign-in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/dashboard/")


def settled():
    """End the test's transaction so it sees what the server committed (SQLite reads from a snapshot)."""
    db.session.rollback()


def secret_on(page):
    return page.locator("#secret-value").input_value()


def test_a_user_manages_keys_tokens_and_overage_in_the_browser(browser_page, live_server, factories):
    page, base = browser_page, live_server.url
    factories.model("qwen3-8b")
    user = factories.user("ada@example.com", cap_usd="20", hep_tokens="300")
    add_spend(user, 4_200_000, at=days_ago(1))
    add_spend(user, 1_300_000, at=days_ago(12))
    add_claude_request(factories.machine(user, "laptop"), input_tokens=5000, output_tokens=700, cost_micro_usd=912_000)
    record_pool_usage(factories.pooled_account("team"), 42.0, 12.5)
    factories.pooled_account("spare")
    db.session.commit()

    sign_in(page, base, user)
    # The spend chart renders: one bar per day of the window, the running total and the cap line.
    chart = page.locator("#spend-chart")
    assert chart.is_visible()
    assert chart.locator("rect.bar").count() == 31
    assert chart.locator("polyline.cumulative").count() == 1
    assert chart.locator("line.cap").bounding_box()["width"] > 300
    assert page.get_by_test_id("spent").inner_text() == "$5.50"
    shot(page, "overview")

    # Opt into overage.
    page.get_by_label("Keep serving past my cap (metered overage)").check()
    page.get_by_label("Overage cap (USD per 30 days)").fill("12.5")
    page.get_by_role("button", name="Save overage settings").click()
    assert page.get_by_role("status").inner_text() == "Overage is on."
    assert refresh(user).overage_enabled is True and user.overage_cap_micro_usd == 12_500_000

    # Create an LLM key: it is shown exactly once.
    page.get_by_role("link", name="LLM keys").click()
    page.get_by_label("Label").fill("laptop")
    page.get_by_label("Model").select_option("qwen3-8b")
    page.get_by_role("button", name="Create key").click()
    first = secret_on(page)
    settled()
    assert first.startswith("sk-hyd-") and key_of(first).label == "laptop"
    shot(page, "llm-keys-created")
    page.get_by_role("link", name="LLM keys").click()
    assert first not in page.content() and page.locator("#secret-value").count() == 0
    assert page.get_by_role("row", name=re.compile("laptop")).is_visible()
    shot(page, "llm-keys")

    # Rotate it: a new secret, once; the old one is dead.
    page.get_by_role("button", name="Rotate").click()
    second = secret_on(page)
    settled()
    assert second != first and key_of(first) is None
    assert key_of(second) is not None

    # Delete it, after a confirmation page.
    page.get_by_role("link", name="LLM keys").click()
    page.get_by_role("link", name="Delete…").click()
    assert page.get_by_role("heading", name="Delete LLM key laptop?").is_visible()
    shot(page, "llm-key-delete-confirm")
    page.get_by_role("button", name="Delete key").click()
    assert page.get_by_role("status").inner_text() == "Deleted key laptop."
    settled()
    assert LlmKey.query.one().deleted_at is not None and key_of(second) is None

    # Usage token: create, reveal, rotate.
    page.get_by_role("link", name="Usage token").click()
    page.get_by_role("button", name="Create usage token").click()
    minted = secret_on(page)
    page.get_by_role("link", name="Usage token").click()
    assert minted not in page.content()
    page.get_by_role("button", name="Reveal token").click()
    assert secret_on(page) == minted
    shot(page, "usage-token")
    page.get_by_role("button", name="Rotate token").click()
    rotated = secret_on(page)
    settled()
    assert rotated != minted and user_tokens.user_for_usage_token(minted) is None
    assert user_tokens.user_for_usage_token(rotated).id == user.id

    page.get_by_role("link", name="Machines").click()
    assert page.get_by_role("row", name=re.compile("laptop")).inner_text().count("5,000") == 1
    shot(page, "machines")
    page.get_by_role("link", name="Pooled accounts").click()
    assert page.get_by_test_id("active-flag").count() == 1
    team = page.locator("li.account", has_text="team")
    assert [m.get_attribute("value") for m in team.locator("meter").all()] == ["42.0", "12.5"]
    assert team.get_by_text("42%").is_visible()
    shot(page, "pooled-accounts")

    page.get_by_role("button", name="Sign out").click()
    assert page.url.startswith(base + "/dashboard/login")
    page.goto(base + "/dashboard/keys")
    assert page.url.startswith(base + "/dashboard/login")


def test_an_admin_adds_a_pooled_account_and_activates_it(browser_page, live_server, factories):
    page, base = browser_page, live_server.url
    admin = factories.user("root@example.com", admin=True)
    factories.pooled_account("existing")
    factories.model("qwen3-8b")
    db.session.commit()
    sign_in(page, base, admin)

    page.get_by_role("link", name="Admin: pool").click()
    page.get_by_label("Label").fill("team-key")
    page.get_by_label("Anthropic API key").check()
    page.get_by_label("API key (sk-ant-api…)").fill("sk-ant-api03-browser-test")
    page.get_by_role("button", name="Add account").click()
    assert page.get_by_role("status").inner_text() == "Added team-key."
    row = page.get_by_role("row", name=re.compile("team-key"))
    assert row.get_by_test_id("active-flag").count() == 0
    row.get_by_role("button", name="Activate").click()
    assert page.get_by_role("status").inner_text() == "team-key is now the active account."
    assert page.get_by_role("row", name=re.compile("team-key")).get_by_test_id("active-flag").is_visible()
    assert "sk-ant-api03-browser-test" not in page.content()
    shot(page, "admin-pool")
    settled()
    assert PooledAccount.query.filter_by(label="team-key").one().is_active

    page.get_by_role("link", name="Admin: models").click()
    assert page.get_by_role("row", name=re.compile("qwen3-8b")).is_visible()
    shot(page, "admin-models")
    page.get_by_role("link", name="Admin: users").click()
    assert page.get_by_role("row", name=re.compile("root@example.com")).is_visible()
    shot(page, "admin-users")


def test_a_user_shares_skills_by_capability_url_and_an_admin_publishes_one(browser_page, live_server, factories):
    page, base = browser_page, live_server.url
    factories.user("root@example.com", admin=True)
    user = factories.user("ada@example.com")
    db.session.commit()
    sign_in(page, base, user)

    # The first key, then the URL revealed again: the same one, never on the plain page.
    page.get_by_role("link", name="Skills", exact=True).click()
    assert page.get_by_text("You have no access key yet.").is_visible()
    page.get_by_role("button", name="Create access key").click()
    created = secret_on(page)
    page.get_by_role("link", name="Skills", exact=True).click()
    assert created not in page.content() and page.locator("#secret-value").count() == 0
    page.get_by_role("button", name="Reveal capability URL").click()
    url = secret_on(page)
    assert url == created and url.startswith(base + "/me/skl_") and url.endswith("/")
    shot(page, "skills-revealed")

    # An agent imports a skill through that URL over real HTTP; the page lists it.
    document = skill_md("pdf-tools", "Fill and merge PDF forms.")
    saved = requests.post(url + "import", data=document, headers={"Content-Type": "text/markdown"}, timeout=10)
    assert saved.status_code == 201 and saved.headers["Location"] == url + "pdf-tools"
    page.get_by_role("link", name="Skills", exact=True).click()
    row = page.get_by_role("row", name=re.compile("pdf-tools"))
    assert "Fill and merge PDF forms." in row.inner_text() and "private" in row.inner_text()
    shot(page, "skills")

    # Rotate, after a confirmation: the old URL is dead at once, the skill answers on the new one.
    page.get_by_role("link", name="Rotate…").click()
    assert page.get_by_role("heading", name="Rotate your skills access key?").is_visible()
    shot(page, "skills-rotate-confirm")
    page.get_by_role("button", name="Rotate access key").click()
    new_url = secret_on(page)
    assert new_url != url and page.get_by_text("The old URL no longer works.").is_visible()
    assert requests.get(url, timeout=10).status_code == 404
    assert requests.get(url + "pdf-tools", timeout=10).status_code == 404
    assert requests.get(new_url + "pdf-tools", timeout=10).content == document
    shot(page, "skills-rotated")

    # An admin publishes it: /skills/<name> serves it to everyone; unpublishing takes it back.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Admin: skills").click()
    row = page.get_by_role("row", name=re.compile("pdf-tools"))
    assert "ada@example.com" in row.inner_text()
    assert requests.get(base + "/skills/pdf-tools", timeout=10).status_code == 404
    row.get_by_role("button", name="Publish").click()
    assert page.get_by_role("status").inner_text() == "Published pdf-tools of ada@example.com."
    public = requests.get(base + "/skills/pdf-tools", timeout=10)
    assert public.status_code == 200 and public.content == document
    assert public.headers["Content-Type"] == "text/markdown; charset=utf-8"
    shot(page, "admin-skills")
    page.get_by_role("row", name=re.compile("pdf-tools")).get_by_role("button", name="Unpublish").click()
    assert page.get_by_role("status").inner_text() == "Unpublished pdf-tools of ada@example.com."
    assert requests.get(base + "/skills/pdf-tools", timeout=10).status_code == 404


def test_the_dashboard_reads_on_a_phone_and_works_from_the_keyboard(browser_page, live_server, factories):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    user = factories.user()
    factories.llm_key(user, [factories.model("qwen3-8b")], label="phone")
    add_claude_request(factories.machine(user, "phone-laptop"), input_tokens=123_456, cost_micro_usd=4_560_000)
    add_spend(user, 7_000_000, at=days_ago(2))
    db.session.commit()

    page.goto(base + "/dashboard/login")
    # Keyboard only: the email field has focus, Tab moves on, Enter submits.
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(user.password)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sign in"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/dashboard/")
    # On every other page the first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    for path, name in (("/dashboard/", "phone-overview"), ("/dashboard/keys", "phone-llm-keys"),
                       ("/dashboard/machines", "phone-machines"), ("/dashboard/skills", "phone-skills")):
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        shot(page, name)
