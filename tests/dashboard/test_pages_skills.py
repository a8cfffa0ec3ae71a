"""The Skills page (access key, own skills) and the admin skills page, through the test client."""
import html
import re

from app.extensions import db
from app.models import Skill
from app.services.skills import registry as skills
from tests.skills.conftest import skill_md

URL = re.compile(r'value="(http://localhost/me/(skl_[^/"]+)/)"')


def text(response):
    return html.unescape(response.get_data(as_text=True))


def shown_url(response):
    """The capability URL and key in the page's secret box."""
    match = URL.search(response.get_data(as_text=True))
    assert match, "no capability URL on the page"
    return match.group(1), match.group(2)


def skill_rows():
    db.session.rollback()
    return [(s.owner.email, s.name, s.is_public) for s in Skill.query.order_by(Skill.name, Skill.user_id).all()]


def test_the_skills_page_creates_reveals_and_rotates_the_key(make_client, factories):
    user = factories.user()
    client = make_client(user)
    first_visit = text(client.get("/dashboard/skills"))
    assert "You have no access key yet." in first_visit and "Create access key" in first_visit
    assert 'href="/dashboard/skills" aria-current="page"' in first_visit  # in the navigation

    created = client.form("/dashboard/skills/access-key/rotate")
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    url, key = shown_url(created)
    assert "Your capability URL" in text(created) and "The old URL" not in text(created)
    assert skills.user_for_access_key(key).id == user.id
    assert client.post(url + "import", data=skill_md("hello", "Says hello."),
                       content_type="text/markdown").status_code == 201

    page = text(client.get("/dashboard/skills"))
    assert key not in page and "/me/" not in page
    assert skills.get_access_key(user).key_prefix + "…" in page
    assert "hello" in page and "Says hello." in page and f"{len(skill_md('hello', 'Says hello.')):,} bytes" in page
    assert "Reveal capability URL" in page

    revealed = client.form("/dashboard/skills/access-key/reveal")
    assert shown_url(revealed) == (url, key)
    assert f'href="{url}hello"' in revealed.get_data(as_text=True)  # private links only beside a revealed URL

    confirm = client.get("/dashboard/skills/access-key/rotate")
    assert confirm.status_code == 200 and "Rotate your skills access key?" in text(confirm)
    assert "stops working at once" in text(confirm) and key not in text(confirm)
    assert skills.user_for_access_key(key).id == user.id  # asking rotates nothing

    rotated = client.form("/dashboard/skills/access-key/rotate")
    new_url, new_key = shown_url(rotated)
    assert new_key != key and "Your new capability URL" in text(rotated)
    assert "The old URL no longer works." in text(rotated)
    assert client.get(url).status_code == 404 and client.get(url + "hello").status_code == 404
    assert client.get(new_url + "hello").data == skill_md("hello", "Says hello.")
    assert new_key not in text(client.get("/dashboard/skills"))


def test_reveal_before_any_key_is_a_404_page(make_client, factories):
    user = factories.user()
    response = make_client(user).form("/dashboard/skills/access-key/reveal")
    assert response.status_code == 404
    assert skills.get_access_key(user) is None


def test_deleting_a_skill_asks_first(make_client, factories):
    user = factories.user("ada@example.com")
    skills.import_skill(user, skill_md("pdf-tools"))
    skills.import_skill(user, skill_md("agenda"))
    skills.publish_skill("pdf-tools")
    client = make_client(user)
    page = text(client.get("/dashboard/skills"))
    assert 'href="http://localhost/skills/pdf-tools"' in page  # public skills link to their public URL
    assert 'href="/dashboard/skills/pdf-tools/delete"' in page

    confirm = client.get("/dashboard/skills/pdf-tools/delete")
    assert confirm.status_code == 200 and "Delete skill pdf-tools?" in text(confirm)
    assert "leaves the public list" in text(confirm)
    assert skill_rows() == [("ada@example.com", "agenda", False), ("ada@example.com", "pdf-tools", True)]

    deleted = client.form("/dashboard/skills/pdf-tools/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"] == "/dashboard/skills"
    assert skill_rows() == [("ada@example.com", "agenda", False)]
    assert client.get("/skills/pdf-tools").status_code == 404
    assert "Deleted skill pdf-tools." in text(client.get("/dashboard/skills"))
    for path in ("/dashboard/skills/pdf-tools/delete", "/dashboard/skills/Bad_Name/delete"):
        assert client.get(path).status_code == 404
        assert client.form(path).status_code == 404


def test_another_users_skill_is_a_404_page_and_stays(make_client, factories):
    ada = factories.user("ada@example.com")
    skills.import_skill(ada, skill_md("ada-only"))
    client = make_client(factories.user())
    assert client.get("/dashboard/skills/ada-only/delete").status_code == 404
    assert client.form("/dashboard/skills/ada-only/delete").status_code == 404
    assert "ada-only" not in text(client.get("/dashboard/skills"))
    assert skill_rows() == [("ada@example.com", "ada-only", False)]


def test_the_admin_skills_page_publishes_and_unpublishes(make_client, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    adas, _ = skills.import_skill(ada, skill_md("pdf-tools", "Ada's PDFs.", body="ada\n"))
    bobs, _ = skills.import_skill(bob, skill_md("pdf-tools", "Bob's PDFs.", body="bob\n"))
    keys = [skills.get_or_create_access_key(ada), skills.get_or_create_access_key(bob)]
    client = make_client(factories.user("root@example.com", admin=True))

    page = text(client.get("/dashboard/admin/skills"))
    assert 'href="/dashboard/admin/skills" aria-current="page"' in page
    assert "ada@example.com" in page and "bob@example.com" in page and "Bob's PDFs." in page
    assert page.count(">Publish</button>") == 2 and not any(key in page for key in keys) and "/me/" not in page

    published = client.form(f"/dashboard/admin/skills/{adas.id}/publish")
    assert published.status_code == 302 and published.headers["Location"] == "/dashboard/admin/skills"
    assert client.get("/skills/pdf-tools").data == skill_md("pdf-tools", "Ada's PDFs.", body="ada\n")
    page = text(client.get("/dashboard/admin/skills"))
    assert "Published pdf-tools of ada@example.com." in page and page.count(">Unpublish</button>") == 1

    client.form(f"/dashboard/admin/skills/{bobs.id}/publish")
    refused = text(client.get("/dashboard/admin/skills"))
    assert ("Not published: the public skill 'pdf-tools' is ada@example.com's; unpublish it first." in refused)
    assert skill_rows() == [("ada@example.com", "pdf-tools", True), ("bob@example.com", "pdf-tools", False)]

    client.form(f"/dashboard/admin/skills/{adas.id}/unpublish")
    assert "Unpublished pdf-tools of ada@example.com." in text(client.get("/dashboard/admin/skills"))
    assert client.get("/skills/pdf-tools").status_code == 404
    assert skill_rows() == [("ada@example.com", "pdf-tools", False), ("bob@example.com", "pdf-tools", False)]
    assert client.form(f"/dashboard/admin/skills/{bobs.id + 100}/publish").status_code == 404


def test_non_admins_see_no_admin_skills_link(make_client, factories):
    page = text(make_client(factories.user()).get("/dashboard/skills"))
    assert "/dashboard/admin/skills" not in page
    admin_page = text(make_client(factories.user(admin=True)).get("/dashboard/"))
    assert 'href="/dashboard/admin/skills"' in admin_page and 'href="/dashboard/skills"' in admin_page
