"""SKILLS_HOST: its root serves the registry; the main host is unaffected; links fit each host."""
import pytest
import requests

import config as config_module
from app import create_app
from app.services.skills import registry as skills_service
from app.skills import urls
from app.skills.host import SkillsHostSwitch, normalize_host, wrap
from tests.servers import LiveServer
from tests.skills.conftest import SKILLS_HOST, skill_md

SKILLS = f"http://{SKILLS_HOST}"
MAIN = "http://localhost"


@pytest.fixture
def published(owner):
    skills_service.import_skill(owner.user, skill_md())
    skills_service.publish_skill("pdf-tools")
    skills_service.import_skill(owner.user, skill_md("private-one", "Mine only."))
    return owner


def test_the_root_of_the_skills_host_lists_public_skills(host_client, published):
    response = host_client.get("/", base_url=SKILLS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.data.decode() == (
        f"# Public skills\n\n- [pdf-tools]({SKILLS}/pdf-tools): Fill and merge PDF forms.\n")
    as_json = host_client.get("/", base_url=SKILLS, headers={"Accept": "application/json"}).get_json()
    assert [entry["url"] for entry in as_json["skills"]] == [f"{SKILLS}/pdf-tools"]


def test_a_skill_at_the_root_of_the_skills_host(host_client, published):
    response = host_client.get("/pdf-tools", base_url=SKILLS)
    assert response.status_code == 200
    assert response.data == skill_md()
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert host_client.get("/pdf-tools", base_url=SKILLS,
                           headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert host_client.get("/private-one", base_url=SKILLS).status_code == 404


def test_capability_urls_on_the_skills_host(host_client, published):
    owner = published
    listing = host_client.get(owner.path(), base_url=SKILLS).data.decode()
    assert f"- [pdf-tools]({SKILLS}/me/{owner.key}/pdf-tools) (public): " in listing
    assert f"- [private-one]({SKILLS}/me/{owner.key}/private-one): Mine only." in listing
    assert host_client.get(owner.path("private-one"), base_url=SKILLS).data == skill_md("private-one", "Mine only.")

    response = host_client.post(owner.path("import"), base_url=SKILLS, data=skill_md("new-one"),
                                content_type="text/markdown")
    assert response.status_code == 201
    assert response.headers["Location"] == f"{SKILLS}/me/{owner.key}/new-one"
    assert response.get_json()["url"] == f"{SKILLS}/me/{owner.key}/new-one"

    replaced = host_client.post(owner.path("import"), base_url=SKILLS, data=skill_md(body="v2\n"))
    assert replaced.status_code == 200
    assert replaced.get_json()["public_url"] == f"{SKILLS}/pdf-tools"

    assert host_client.delete(owner.path("new-one"), base_url=SKILLS).status_code == 204
    assert host_client.get("/me/skl_unknown/", base_url=SKILLS).status_code == 404


def test_nothing_else_of_the_app_is_reachable_on_the_skills_host(host_client, published):
    for path in ["/skills/pdf-tools", "/healthz", "/v1/models", "/usage", "/ai/skills/pdf-tools", "/ai/"]:
        response = host_client.get(path, base_url=SKILLS)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_the_main_host_is_unaffected_when_skills_host_is_set(host_client, published):
    owner = published
    assert host_client.get("/healthz", base_url=MAIN).get_json()["status"] == "ok"
    assert host_client.get("/pdf-tools", base_url=MAIN).status_code == 404
    assert host_client.get("/skills/pdf-tools", base_url=MAIN).data == skill_md()
    listing = host_client.get("/skills/", base_url=MAIN).data.decode()
    assert f"({MAIN}/skills/pdf-tools)" in listing
    mirrored = host_client.get("/ai/skills/", base_url=MAIN).data.decode()
    assert f"({MAIN}/ai/skills/pdf-tools)" in mirrored
    response = host_client.post(f"/ai{owner.path('import')}", base_url=MAIN, data=skill_md("via-mirror"))
    assert response.headers["Location"] == f"{MAIN}/ai/me/{owner.key}/via-mirror"
    assert host_client.get(owner.path(), base_url=MAIN).data.decode().count(f"({MAIN}/me/{owner.key}/") == 3


def test_the_host_header_matches_case_insensitively_on_any_port(host_client, published):
    response = host_client.get("/pdf-tools", base_url="http://SKILLS.Example.TEST:8443")
    assert response.data == skill_md()
    listing = host_client.get("/", base_url="https://skills.example.test:8443").data.decode()
    assert "(https://skills.example.test:8443/pdf-tools)" in listing


def test_a_skill_named_like_a_prefix_is_served_at_the_root(host_client, owner):
    for name in ("ai", "me", "skills", "healthz"):
        skills_service.import_skill(owner.user, skill_md(name))
        skills_service.publish_skill(name)
        assert host_client.get(f"/{name}", base_url=SKILLS).data == skill_md(name), name


def test_the_skills_host_over_real_http(skills_host_app, published):
    server = LiveServer(skills_host_app)
    server.start()
    try:
        on_skills = {"Host": SKILLS_HOST}
        listing = requests.get(server.url + "/", headers=on_skills, timeout=10)
        assert listing.status_code == 200 and f"{SKILLS}/pdf-tools" in listing.text
        assert requests.get(server.url + "/pdf-tools", headers=on_skills, timeout=10).content == skill_md()
        assert requests.get(server.url + "/pdf-tools", timeout=10).status_code == 404
        assert requests.get(server.url + "/skills/pdf-tools", timeout=10).content == skill_md()
    finally:
        server.stop()


def test_behind_a_trusted_proxy_the_forwarded_host_decides(app, published):
    class ProxiedConfig(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SKILLS_HOST = SKILLS_HOST
        TRUSTED_PROXY_COUNT = 1

    proxied = create_app(ProxiedConfig)
    response = proxied.test_client().get("/", base_url="http://10.0.0.5:8000",
                                         headers={"X-Forwarded-Host": SKILLS_HOST, "X-Forwarded-Proto": "https"})
    assert "(https://skills.example.test/pdf-tools)" in response.data.decode()
    with proxied.app_context():
        from app.extensions import db
        db.engine.dispose()


def test_capability_url_for_the_dashboard_prefers_the_skills_host(app, skills_host_app, owner):
    with skills_host_app.test_request_context("/api/v1/ai/account", base_url="https://ai.example.test/ai"):
        assert urls.capability_url(owner.key) == f"https://{SKILLS_HOST}/me/{owner.key}/"
    with skills_host_app.test_request_context("/me/x/", base_url=f"https://{SKILLS_HOST}",
                                              environ_base={"hepgg.skills_host": True}):
        assert urls.capability_url(owner.key) == f"https://{SKILLS_HOST}/me/{owner.key}/"
    with app.test_request_context("/api/v1/ai/account", base_url="https://ai.example.test/ai"):
        assert urls.capability_url(owner.key) == f"https://ai.example.test/ai/me/{owner.key}/"


def test_public_skill_url_for_the_dashboard_prefers_the_skills_host(app, skills_host_app):
    with skills_host_app.test_request_context("/api/v1/ai/skills", base_url="https://ai.example.test/ai"):
        assert urls.shared_public_skill_url("pdf-tools") == f"https://{SKILLS_HOST}/pdf-tools"
    with skills_host_app.test_request_context("/", base_url=f"https://{SKILLS_HOST}",
                                              environ_base={"hepgg.skills_host": True}):
        assert urls.shared_public_skill_url("pdf-tools") == f"https://{SKILLS_HOST}/pdf-tools"
    with app.test_request_context("/api/v1/ai/skills", base_url="https://ai.example.test/ai"):
        assert urls.shared_public_skill_url("pdf-tools") == "https://ai.example.test/ai/skills/pdf-tools"


@pytest.mark.parametrize("configured,host,matches", [
    ("skills.hep.gg", "skills.hep.gg", True),
    ("skills.hep.gg", "Skills.Hep.GG:443", True),
    ("https://skills.hep.gg/", "skills.hep.gg", True),
    ("skills.hep.gg", "ai.hep.gg", False),
    ("skills.hep.gg", "skills.hep.gg.evil.test", False),
    ("skills.hep.gg", "", False),
    ("skills.hep.gg", None, False),
    ("skills.hep.gg:8443", "skills.hep.gg:8443", True),
    ("skills.hep.gg:8443", "skills.hep.gg", False),
    ("[::1]:8443", "[::1]:8443", True),
    ("[::1]", "[::1]:9000", True),
])
def test_host_matching(configured, host, matches):
    assert SkillsHostSwitch(None, configured).matches(host) is matches


def test_no_switch_is_installed_without_skills_host():
    def inner(environ, start_response):
        return []
    assert wrap(inner, None) is inner and wrap(inner, "  ") is inner
    assert normalize_host(" HTTPS://Skills.Hep.GG/path ") == "skills.hep.gg"
