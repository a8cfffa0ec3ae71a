"""Shaping registry responses: raw SKILL.md documents, and listings in markdown or JSON."""
import json

from flask import Response, request

from app.services.timestamps import iso

MARKDOWN = "text/markdown; charset=utf-8"
JSON = "application/json"


def _harden(response, private):
    # Documents are other people's text served from our origin: never let a browser sniff
    # them into HTML, and never let a capability URL travel on in a Referer header.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.no_cache = True
    if private:
        response.cache_control.private = True
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    else:
        response.cache_control.public = True
    return response


def document_response(skill, *, private):
    """The stored SKILL.md byte for byte, with a strong ETag (304 when If-None-Match matches)."""
    response = Response(bytes(skill.content), status=200, content_type=MARKDOWN)
    response.set_etag(skill.etag)
    response.last_modified = skill.updated_at
    return _harden(response, private).make_conditional(request)


def skill_summary(skill, url, *, private):
    """One skill as listings and the import response describe it."""
    entry = {"name": skill.name, "description": skill.description, "url": url, "size": skill.size_bytes,
             "etag": f'"{skill.etag}"', "updated_at": iso(skill.updated_at)}
    if private:
        entry["public"] = skill.is_public
    return entry


def _one_line(text):
    return " ".join(text.split())


def _markdown_listing(title, entries, empty):
    lines = [f"# {title}", ""]
    if not entries:
        lines.append(empty)
    for entry in entries:
        flag = " (public)" if entry.get("public") else ""
        lines.append(f"- [{entry['name']}]({entry['url']}){flag}: {_one_line(entry['description'])}")
    return "\n".join(lines) + "\n"


def listing_response(title, entries, *, private, empty="No skills yet."):
    """A listing as markdown (the default) or JSON (when the client's Accept prefers it)."""
    wanted = request.accept_mimetypes.best_match(["text/markdown", JSON], default="text/markdown")
    if wanted == JSON:
        body = json.dumps({"skills": entries}, ensure_ascii=False, separators=(",", ":")) + "\n"
        response = Response(body, status=200, content_type=JSON)
    else:
        response = Response(_markdown_listing(title, entries, empty), status=200, content_type=MARKDOWN)
    response.vary.add("Accept")
    response.add_etag()
    return _harden(response, private).make_conditional(request)
