"""POST /me/<key>/import: both body forms, create (201) and replace (200), and every refusal."""
import io
import json

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import Skill
from app.services.skills.documents import MAX_DOCUMENT_BYTES
from tests.skills.conftest import skill_md


def count_skills():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Skill))


def error_of(response):
    return response.get_json()["error"]


@pytest.mark.parametrize("content_type", ["text/markdown", "text/plain; charset=utf-8", "application/octet-stream",
                                          "application/x-www-form-urlencoded", None])
def test_raw_body_import_creates_then_replaces(client, owner, content_type):
    first = skill_md(description="First version.")
    created = client.post(owner.path("import"), data=first, content_type=content_type)
    assert created.status_code == 201, created.data
    url = f"http://localhost/me/{owner.key}/pdf-tools"
    assert created.headers["Location"] == url
    body = created.get_json()
    assert body == {"name": "pdf-tools", "description": "First version.", "url": url, "size": len(first),
                    "etag": created.headers["ETag"], "updated_at": body["updated_at"], "public": False,
                    "created": True}

    second = skill_md(description="Second version.", body="# Changed\n")
    replaced = client.post(owner.path("import"), data=second, content_type=content_type)
    assert replaced.status_code == 200
    assert replaced.headers["Location"] == url
    assert replaced.get_json()["created"] is False
    assert replaced.get_json()["description"] == "Second version."
    assert replaced.headers["ETag"] != created.headers["ETag"]
    assert client.get(owner.path("pdf-tools")).data == second
    assert count_skills() == 1


def test_json_body_import_creates_then_replaces(client, owner):
    text = "---\r\nname: notes\r\ndescription: Ünïcode notes\r\n---\r\n# Notes ✓\r\n"
    created = client.post(owner.path("import"), json={"markdown": text})
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"/me/{owner.key}/notes")
    assert created.get_json()["size"] == len(text.encode("utf-8"))
    assert client.get(owner.path("notes")).data == text.encode("utf-8")

    replaced = client.post(owner.path("import"), data=json.dumps({"markdown": text + "more\n", "extra": 1}),
                           content_type="application/json; charset=utf-8")
    assert replaced.status_code == 200
    assert client.get(owner.path("notes")).data == (text + "more\n").encode("utf-8")


def test_the_json_form_and_the_raw_form_are_the_same_document(client, owner):
    document = skill_md(body="Tabs\tand “quotes”\n", newline="\r\n")
    raw = client.post(owner.path("import"), data=document, content_type="text/markdown")
    again = client.post(owner.path("import"), json={"markdown": document.decode("utf-8")})
    assert (raw.status_code, again.status_code) == (201, 200)
    assert raw.headers["ETag"] == again.headers["ETag"]


def test_reimporting_identical_bytes_keeps_the_etag_and_answers_200(client, owner):
    first = owner.import_(client, skill_md())
    second = owner.import_(client, skill_md())
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.headers["ETag"] == second.headers["ETag"]


@pytest.mark.parametrize("document,message", [
    (b"no front matter at all\n", "must start with YAML front matter"),
    (b"---\nname: a\ndescription: d\n", "not closed"),
    (b"---\n[1, 2]\n---\n", "must be a YAML mapping"),
    (b"---\nname: a\n---\n", "missing 'description'"),
    (b"---\ndescription: d\n---\n", "missing 'name'"),
    (b"---\nname: a\ndescription: [d]\n---\n", "'description' must be a string"),
    (skill_md(name="../x"), "not a valid skill name"),
    (skill_md(name="a/b"), "not a valid skill name"),
    (skill_md(name="Upper"), "not a valid skill name"),
    (skill_md(name="n" * 65), "at most 64 characters"),
    (skill_md(description="d" * 1025), "at most 1024 characters"),
    (b"---\nname: a\ndescription: \xe9t\xe9\n---\n", "must be UTF-8"),
    (b"", "empty"),
])
def test_bad_documents_are_refused_with_400_and_a_clear_message(client, owner, document, message):
    response = owner.import_(client, document)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert message in error_of(response)["message"]
    assert error_of(response)["code"] == "invalid_request"
    assert count_skills() == 0


@pytest.mark.parametrize("data,message", [
    ("not json", "not valid JSON"),
    ('["---"]', "must be an object"),
    ("{}", '{"markdown": "<the SKILL.md>"}'),
    ('{"markdown": 5}', '{"markdown": "<the SKILL.md>"}'),
    ('{"markdown": null}', '{"markdown": "<the SKILL.md>"}'),
    ('{"markdown": "---\\nname: a\\ndescription: \\ud800\\n---\\n"}', "unpaired surrogate"),
    ('{"markdown": "# no front matter"}', "must start with YAML front matter"),
])
def test_bad_json_bodies_are_refused_with_400(client, owner, data, message):
    response = client.post(owner.path("import"), data=data, content_type="application/json")
    assert response.status_code == 400
    assert message in error_of(response)["message"]
    assert count_skills() == 0


def test_a_json_body_that_is_not_utf8_is_refused(client, owner):
    body = json.dumps({"markdown": skill_md().decode()}).encode("utf-16")
    response = client.post(owner.path("import"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "must be UTF-8" in error_of(response)["message"]


def test_a_multipart_upload_is_refused_with_415_saying_how_to_send_it(client, owner):
    response = client.post(owner.path("import"), data={"file": (io.BytesIO(skill_md()), "SKILL.md")},
                           content_type="multipart/form-data")
    assert response.status_code == 415
    assert "--data-binary @SKILL.md" in error_of(response)["message"]


def _at_size(size):
    head = skill_md(body="")
    return head + b"x" * (size - len(head))


def test_a_document_of_exactly_256_kib_is_accepted(client, owner):
    response = owner.import_(client, _at_size(MAX_DOCUMENT_BYTES))
    assert response.status_code == 201
    assert response.get_json()["size"] == MAX_DOCUMENT_BYTES


def test_an_oversize_raw_body_is_refused_with_413(client, owner):
    response = owner.import_(client, _at_size(MAX_DOCUMENT_BYTES + 1))
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    assert "256 KiB" in error_of(response)["message"]
    assert count_skills() == 0


def test_an_oversize_document_inside_json_is_refused_with_413(client, owner):
    response = client.post(owner.path("import"), json={"markdown": _at_size(MAX_DOCUMENT_BYTES + 1).decode()})
    assert response.status_code == 413
    assert "256 KiB" in error_of(response)["message"]


def test_a_heavily_escaped_json_document_at_the_limit_is_accepted(client, owner):
    # Every control byte costs six characters in JSON ("\u0001"): the envelope is far larger than 256 KiB.
    document = _at_size(MAX_DOCUMENT_BYTES).replace(b"x", b"\x01")
    body = json.dumps({"markdown": document.decode()})
    assert len(body) > 5 * MAX_DOCUMENT_BYTES
    response = client.post(owner.path("import"), data=body, content_type="application/json")
    assert response.status_code == 201
    assert client.get(owner.path("pdf-tools")).data == document


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return 0

    def readinto(self, buffer):
        raise AssertionError("the body was read although Content-Length already said it is too large")


@pytest.mark.parametrize("content_type", ["text/markdown", "application/json"])
def test_content_length_is_checked_before_the_body_is_read(client, owner, content_type):
    response = client.post(owner.path("import"), input_stream=Untouchable(), content_type=content_type,
                           environ_overrides={"CONTENT_LENGTH": str(50 * 1024 * 1024)})
    assert response.status_code == 413


def test_an_oversize_chunked_body_without_content_length_is_refused_with_413(live_server, owner):
    document = _at_size(MAX_DOCUMENT_BYTES + 1)

    def chunks():  # a generator makes requests send Transfer-Encoding: chunked, with no length
        for start in range(0, len(document), 16 * 1024):
            yield document[start:start + 16 * 1024]

    response = requests.post(live_server.url + owner.path("import"), data=chunks(),
                             headers={"Content-Type": "text/markdown"}, timeout=10)
    assert response.status_code == 413
    assert "256 KiB" in response.json()["error"]["message"]
    assert count_skills() == 0


def test_a_chunked_body_within_the_limit_is_imported(live_server, owner):
    document = skill_md(body="é\r\n" * 1000)
    response = requests.post(live_server.url + owner.path("import"), data=iter([document[:100], document[100:]]),
                             headers={"Content-Type": "text/markdown"}, timeout=10)
    assert response.status_code == 201
    assert requests.get(response.headers["Location"], timeout=10).content == document


def test_import_needs_post(client, owner):
    assert client.put(owner.path("import"), data=skill_md()).status_code == 405


def test_parallel_imports_of_one_new_name_create_it_once(live_server, owner):
    from concurrent.futures import ThreadPoolExecutor

    def post(i):
        return requests.post(live_server.url + owner.path("import"), data=skill_md(body=f"version {i}\n"),
                             headers={"Content-Type": "text/markdown"}, timeout=30)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(response.status_code for response in pool.map(post, range(6)))
    assert statuses == [200] * 5 + [201]
    assert count_skills() == 1
