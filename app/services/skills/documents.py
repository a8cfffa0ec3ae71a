"""Parsing and validating SKILL.md documents: YAML front matter (`name`, `description`), then markdown.

The document is validated, never rewritten: callers store the exact bytes they were given.
"""
import re
from dataclasses import dataclass

import yaml

from app.services.errors import InvalidInput, PayloadTooLarge

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_NAME_CHARS = 64
MAX_DESCRIPTION_CHARS = 1024

# Lowercase letters and digits in hyphen-separated runs: no leading, trailing or doubled
# hyphens, and nothing (dots, slashes, percent signs) that could mean something in a path.
NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_OPENING_RE = re.compile(r"\A---[ \t]*\r?\n")
_CLOSING_RE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
# The C loader when PyYAML was built with libyaml (much faster on large input); both are safe.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SkillDocument:
    """A validated SKILL.md: its front-matter fields and the untouched bytes."""

    name: str
    description: str
    content: bytes


def is_valid_name(name):
    """True when `name` is a well-formed skill name (what a URL segment may hold)."""
    return isinstance(name, str) and len(name) <= MAX_NAME_CHARS and NAME_RE.fullmatch(name) is not None


def check_size(size):
    """PayloadTooLarge when a document of `size` bytes would exceed the limit."""
    if size > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"a SKILL.md may be at most {MAX_DOCUMENT_BYTES} bytes (256 KiB); "
                              f"this one is {size} bytes")


def _invalid(message, field=None):
    return InvalidInput(message, fields={field: [message]} if field else None)


def _front_matter(text):
    opening = _OPENING_RE.match(text)
    if opening is None:
        raise _invalid("a SKILL.md must start with YAML front matter: a line '---', the fields "
                       "'name' and 'description', then a closing line '---'")
    closing = _CLOSING_RE.search(text, opening.end())
    if closing is None:
        raise _invalid("the YAML front matter is not closed: add a line '---' after it")
    return text[opening.end():closing.start()]


def _load_yaml(source):
    try:
        return yaml.load(source, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        raise _invalid(f"the front matter is not valid YAML{where}: {problem}") from None


def validate_name(name):
    """The name if it is a valid skill name, else InvalidInput saying why."""
    if not isinstance(name, str):
        hint = f" (YAML read {name!r} as {type(name).__name__}; quote it)" if name is not None else ""
        raise _invalid(f"'name' must be a string{hint}", "name")
    if not name:
        raise _invalid("'name' must not be empty", "name")
    if len(name) > MAX_NAME_CHARS:
        raise _invalid(f"'name' must be at most {MAX_NAME_CHARS} characters (it has {len(name)})", "name")
    if not NAME_RE.fullmatch(name):
        raise _invalid(f"'name' {name!r} is not a valid skill name: use lowercase letters, digits and "
                       "single hyphens between them (like 'pdf-tools')", "name")
    return name


def _validate_description(description):
    if not isinstance(description, str):
        raise _invalid("'description' must be a string", "description")
    if not description.strip():
        raise _invalid("'description' must not be empty", "description")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise _invalid(f"'description' must be at most {MAX_DESCRIPTION_CHARS} characters "
                       f"(it has {len(description)})", "description")
    return description


def parse_skill_document(content):
    """Validate a SKILL.md given as bytes; returns a SkillDocument or raises InvalidInput/PayloadTooLarge."""
    if not isinstance(content, bytes):
        raise TypeError("a SKILL.md is validated as bytes")
    check_size(len(content))
    if not content.strip():
        raise _invalid("the SKILL.md is empty")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(f"a SKILL.md must be UTF-8 text (invalid byte at offset {exc.start})") from None
    # A byte-order mark is allowed (editors add one); it is stored and served as given.
    fields = _load_yaml(_front_matter(text.removeprefix("\ufeff")))
    if not isinstance(fields, dict):
        raise _invalid("the front matter must be a YAML mapping with the fields 'name' and 'description'")
    missing = [key for key in ("name", "description") if key not in fields]
    if missing:
        raise InvalidInput(f"the front matter is missing {' and '.join(repr(k) for k in missing)}",
                           fields={key: ["Missing."] for key in missing})
    return SkillDocument(name=validate_name(fields["name"]),
                         description=_validate_description(fields["description"]), content=content)
