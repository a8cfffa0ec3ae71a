"""SKILL.md validation: front matter present, closed, a mapping, with a valid name and description."""
import pytest

from app.services.errors import InvalidInput, PayloadTooLarge
from app.services.skills.documents import MAX_DOCUMENT_BYTES, is_valid_name, parse_skill_document
from tests.skills.conftest import skill_md


def test_a_valid_document_yields_its_fields_and_its_exact_bytes():
    content = skill_md("pdf-tools", "Fill PDF forms.", extra="license: MIT\nallowed-tools: [Bash]\n")
    document = parse_skill_document(content)
    assert (document.name, document.description) == ("pdf-tools", "Fill PDF forms.")
    assert document.content is content


@pytest.mark.parametrize("content", [
    skill_md(newline="\r\n"),
    "\ufeff".encode() + skill_md(),                                     # a byte-order mark
    b"---   \nname: a1\ndescription: d\n---\t\n",                        # trailing blanks, no body
    b"---\nname: a1\ndescription: d\n---",                               # no final newline
    b"---\nname: a1\ndescription: >\n  folded\n  text\n---\nbody\n",
    b"---\nname: 'a1'\ndescription: \"d\"\n---\n---\nmore dashes in the body\n",
])
def test_accepted_layouts(content):
    assert parse_skill_document(content).name in {"a1", "pdf-tools"}


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"  \n\n", "empty"),
    (b"# No front matter\n", "must start with YAML front matter"),
    (b"\n---\nname: a\ndescription: d\n---\n", "must start with YAML front matter"),
    (b"--- name: a\n", "must start with YAML front matter"),
    (b"---\nname: a\ndescription: d\n", "not closed"),
    (b"---\nname: a\ndescription: d\n--\nbody", "not closed"),
    (b"---\n---\nbody\n", "must be a YAML mapping"),
    (b"---\n- name\n- description\n---\n", "must be a YAML mapping"),
    (b"---\njust a string\n---\n", "must be a YAML mapping"),
    (b"---\nname: [unclosed\n---\n", "not valid YAML (front matter line"),
    (b"---\nname: a\n\tdescription: d\n---\n", "not valid YAML"),
    (b"---\nname: !!python/object/apply:os.system ['true']\ndescription: d\n---\n", "not valid YAML"),
    (b"---\ndescription: d\n---\n", "missing 'name'"),
    (b"---\nname: a\n---\n", "missing 'description'"),
    (b"---\ntitle: a\n---\n", "missing 'name' and 'description'"),
    (b"---\nname: 42\ndescription: d\n---\n", "'name' must be a string (YAML read 42 as int; quote it)"),
    (b"---\nname: true\ndescription: d\n---\n", "'name' must be a string"),
    (b"---\nname:\ndescription: d\n---\n", "'name' must be a string"),
    (b"---\nname: [a]\ndescription: d\n---\n", "'name' must be a string"),
    (b"---\nname: ''\ndescription: d\n---\n", "'name' must not be empty"),
    (b"---\nname: a\ndescription: 3.5\n---\n", "'description' must be a string"),
    (b"---\nname: a\ndescription: {k: v}\n---\n", "'description' must be a string"),
    (b"---\nname: a\ndescription: '   '\n---\n", "'description' must not be empty"),
    (skill_md("a", "x" * 1025), "at most 1024 characters"),
    (skill_md("a" * 65), "at most 64 characters"),
    (b"---\nname: a\ndescription: caf\xe9\n---\n", "must be UTF-8"),
    (b"---\nname: a\ndescription: d\n---\n\xff\xfe body", "must be UTF-8"),
    (b"---\nname: a\ndescription: d\n---\n\xed\xa0\x80", "must be UTF-8"),        # an encoded surrogate
])
def test_rejected_documents_say_what_is_wrong(content, message):
    with pytest.raises(InvalidInput) as caught:
        parse_skill_document(content)
    assert message in caught.value.message
    assert caught.value.status == 400


@pytest.mark.parametrize("name", [
    "../x", "a/b", "a\\b", "..", ".", ".hidden", "a.md", "A", "Pdf-Tools", "-a", "a-", "a--b", "a_b",
    "a b", "a%2Fb", "é", "a\nb", "~", "a:b",
])
def test_bad_and_path_like_names_are_rejected(name):
    quoted = name.replace("\\", "\\\\").replace("\n", "\\n")
    document = skill_md(name=f'"{quoted}"')
    with pytest.raises(InvalidInput) as caught:
        parse_skill_document(document)
    assert "not a valid skill name" in caught.value.message
    assert caught.value.fields == {"name": [caught.value.message]}
    assert not is_valid_name(name)


@pytest.mark.parametrize("name", ["a", "7", "pdf-tools", "a1-b2-c3", "x" * 64])
def test_good_names(name):
    assert parse_skill_document(skill_md(name=f"'{name}'")).name == name
    assert is_valid_name(name)


def test_description_limits_count_characters_not_bytes():
    assert parse_skill_document(skill_md(description="é" * 1024)).description == "é" * 1024


def test_the_size_limit_is_256_kib_of_bytes():
    head = skill_md(body="")
    exact = head + b"x" * (MAX_DOCUMENT_BYTES - len(head))
    assert parse_skill_document(exact).content == exact
    with pytest.raises(PayloadTooLarge) as caught:
        parse_skill_document(exact + b"x")
    assert caught.value.status == 413 and "256 KiB" in caught.value.message
