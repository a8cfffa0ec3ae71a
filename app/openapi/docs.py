"""The /docs page's data: every operation of the description, flattened for a server-rendered template."""
import json
import re

from markupsafe import Markup, escape

_REF = re.compile(r"&#34;#/components/schemas/([A-Za-z0-9_.\-]+)&#34;")
METHOD_ORDER = ["get", "head", "post", "put", "patch", "delete"]


def schema_html(schema):
    """A schema as indented JSON, each $ref a link to the component it names."""
    text = str(escape(json.dumps(schema, indent=2, ensure_ascii=False)))
    return Markup(_REF.sub(lambda m: f'<a href="#schema-{m.group(1)}">{m.group(1)}</a>', text))


def _security(requirements):
    if requirements is None:
        return ["none declared"]
    if not requirements:
        return ["none (public)"]
    return [" + ".join(sorted(req)) if req else "none (optional)" for req in requirements]


def _content(content):
    return [{"media": media, "schema": schema_html(body["schema"]) if "schema" in body else None}
            for media, body in (content or {}).items()]


def _operation(path, method, operation):
    return {
        "id": operation["operationId"], "method": method.upper(), "path": path,
        "summary": operation.get("summary", ""), "description": operation.get("description", ""),
        "security": _security(operation.get("security")),
        "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                        "description": p.get("description", ""), "schema": schema_html(p.get("schema", {}))}
                       for p in operation.get("parameters", [])],
        "body": (_content(operation["requestBody"]["content"]) if "requestBody" in operation else None),
        "body_required": operation.get("requestBody", {}).get("required", False),
        "responses": [{"status": status, "description": response.get("description", ""),
                       "content": _content(response.get("content")),
                       "headers": sorted((response.get("headers") or {}).keys())}
                      for status, response in operation["responses"].items()],
    }


def docs_context(spec):
    """Template values: tags with their operations, security schemes and component schemas."""
    by_tag = {tag["name"]: {"name": tag["name"], "description": tag.get("description", ""), "operations": []}
              for tag in spec.get("tags", [])}
    for path, item in spec["paths"].items():
        for method in sorted(item, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99):
            operation = item[method]
            tag = operation.get("tags", ["Other"])[0]
            by_tag.setdefault(tag, {"name": tag, "description": "", "operations": []})
            by_tag[tag]["operations"].append(_operation(path, method, operation))
    components = spec.get("components", {})
    return {
        "info": spec["info"],
        "openapi_version": spec["openapi"],
        "tags": [tag for tag in by_tag.values() if tag["operations"]],
        "schemes": sorted(components.get("securitySchemes", {}).items()),
        "schemas": [(name, schema_html(schema)) for name, schema in sorted(components.get("schemas", {}).items())],
    }
