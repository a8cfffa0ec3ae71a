"""Reading an import request's SKILL.md: the raw body, or JSON {"markdown": "..."}, size-capped.

The size is checked against Content-Length before anything is read, and the read itself is
capped, so a chunked body without a length cannot make us buffer more than the limit.
"""
import json

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields

from app.services.errors import InvalidInput, PayloadTooLarge, ServiceError
from app.services.skills.documents import MAX_DOCUMENT_BYTES, check_size

# JSON escapes can take up to six characters per byte ("\u0001"); a document at the limit,
# escaped, still fits, and the document itself is then checked against the real limit.
MAX_JSON_BODY_BYTES = 6 * MAX_DOCUMENT_BYTES + 1024
_READ_CHUNK = 64 * 1024


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


class ImportSkillSchema(Schema):
    """The JSON form of an import: {"markdown": "<the whole SKILL.md>"}."""

    class Meta:
        unknown = EXCLUDE

    markdown = fields.String(required=True)


def _too_large(limit):
    if limit == MAX_DOCUMENT_BYTES:
        return PayloadTooLarge(f"a SKILL.md may be at most {MAX_DOCUMENT_BYTES} bytes (256 KiB)")
    return PayloadTooLarge(f"the JSON body may be at most {limit} bytes, and the SKILL.md in it "
                           f"at most {MAX_DOCUMENT_BYTES} bytes (256 KiB)")


def read_capped_body(limit):
    """The request body, or PayloadTooLarge as soon as it is known to exceed `limit` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(limit)
    stream = request.stream
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)


def _is_json(mimetype):
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _from_json(raw):
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("the JSON body must be UTF-8") from None
    except ValueError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise InvalidInput('the JSON body must be an object: {"markdown": "<the SKILL.md>"}')
    try:
        markdown = ImportSkillSchema().load(payload)["markdown"]
    except ValidationError as exc:
        raise InvalidInput('the JSON body must be {"markdown": "<the SKILL.md>"} with a string',
                           fields=exc.messages) from None
    try:
        content = markdown.encode("utf-8")
    except UnicodeEncodeError:
        # Only lone surrogates ("\ud800") fail here: not text, and not storable as UTF-8.
        raise InvalidInput("a SKILL.md must be UTF-8 text ('markdown' holds an unpaired surrogate)") from None
    check_size(len(content))
    return content


def read_import_document():
    """The SKILL.md bytes of an import request, by Content-Type: JSON, or anything else as raw markdown."""
    mimetype = request.mimetype or ""
    if mimetype.startswith("multipart/"):
        raise UnsupportedMediaType("send the SKILL.md as the raw request body (curl --data-binary @SKILL.md) "
                                   'or as JSON {"markdown": "..."}, not as a multipart form')
    if _is_json(mimetype):
        return _from_json(read_capped_body(MAX_JSON_BODY_BYTES))
    # text/markdown, text/plain, application/octet-stream, and the form type curl's
    # --data-binary sends by default: the body is the document itself, byte for byte.
    return read_capped_body(MAX_DOCUMENT_BYTES)
