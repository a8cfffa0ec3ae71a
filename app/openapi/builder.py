"""Builds the OpenAPI 3.1 document with apispec from the operations each surface declares.

Paths and path parameters come from the app's own URL rules (so the description cannot drift
from the routing); bodies and responses come from the blueprints' marshmallow schemas.
"""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema
from werkzeug.routing import PathConverter

from app.dashboard.schemas import MicroAmount
from app.openai_api.schemas import OpenAIErrorSchema
from app.openapi import ops_cli, ops_dashboard, ops_openai, ops_proxy, ops_skills, ops_usage
from app.openapi.operation import ALWAYS, ERROR_SCHEMAS, STATUS_TEXT
from app.openapi.schemas import ErrorSchema
from app.openapi.security import SCHEMES
from app.proxy.schemas import AnthropicErrorSchema
from app.routing import MAX_ID, IdConverter

OPERATIONS = [*ops_proxy.OPERATIONS, *ops_openai.OPERATIONS, *ops_usage.OPERATIONS, *ops_dashboard.OPERATIONS,
              *ops_cli.OPERATIONS, *ops_skills.OPERATIONS]
TAGS = [
    {"name": "Anthropic proxy", "description": "A transparent relay to Anthropic, one proxy token per machine."},
    {"name": "OpenAI-compatible API", "description": "Chat completions and models for sk-hyd- keys."},
    {"name": "Usage API", "description": "The pool's cached usage for usg_ tokens."},
    {"name": "Dashboard API", "description": "JSON for the signed-in user (session cookie + CSRF header)."},
    {"name": "Dashboard admin API", "description": "JSON for administrators (session cookie + CSRF header)."},
    {"name": "CLI API", "description": "What the ccas CLI calls, with the ccas_ account key."},
    {"name": "Skills registry", "description": "SKILL.md documents: public, or behind a capability URL."},
    {"name": "Operation", "description": "Health and this description."},
]
DESCRIPTION = (
    "Every programmatic surface of the Hep.gg AI gateway. Every path is also served under the /ai prefix. "
    "Errors come in the shape of the API family: Anthropic's under /anthropic, OpenAI's under /v1, and "
    '{"error": {"code", "message", "fields"?}} elsewhere. Examples are placeholders, never real secrets.')
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_PREFIXES = {"app.cli_api": "Cli", "app.dashboard": "Dashboard", "app.usage_api": "Usage",
             "app.openai_api": "OpenAI", "app.proxy": "Anthropic", "app.skills": "Skills", "app.openapi": ""}


def _schema_name(schema):
    cls = schema if isinstance(schema, type) else type(schema)
    package = ".".join(cls.__module__.split(".")[:2])
    name = cls.__name__.removesuffix("Schema")
    prefix = _PREFIXES.get(package, "")
    return name if name.startswith(prefix) else prefix + name


def _micro_amount(self, field, **kwargs):
    if isinstance(field, MicroAmount):
        return {"type": ["string", "number"], "description": "A non-negative amount with at most 6 decimal places",
                "example": "12.5"}
    return {}


def _path_parameter(name, converter):
    if isinstance(converter, IdConverter):
        schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID, "example": 1}
    else:
        schema = {"type": "string", "minLength": 1}
        if not isinstance(converter, PathConverter):
            schema["pattern"] = "^[^/]+$"
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _rule_for(app, op):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == op.endpoint and op.method in r.methods]
    if len(rules) != 1 and op.path is None:
        raise LookupError(f"{op.endpoint} {op.method}: {len(rules)} URL rules, give the path explicitly")
    return rules[0] if rules else None


def _openapi_path(rule):
    return _ARGUMENT.sub(r"{\1}", rule.rule)


def _content(spec):
    """A response/body description: a Schema class (JSON), a dict of media type -> schema, or None."""
    if spec is None:
        return None
    if isinstance(spec, type) and issubclass(spec, Schema):
        spec = {"application/json": spec}
    content = {}
    for media, schema in spec.items():
        if schema is None:
            content[media] = {}
        else:
            content[media] = {"schema": schema}
    return content


def _responses(op):
    responses = {}
    for status, spec in op.ok.items():
        response = {"description": STATUS_TEXT.get(status, "OK")}
        content = _content(spec)
        if content:
            response["content"] = content
        if status in op.headers:
            response["headers"] = op.headers[status]
        responses[str(status)] = response
    error_ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMAS[op.family]}"}
    for status in sorted(set(op.errors) | set(ALWAYS)):
        if str(status) not in responses:
            responses[str(status)] = {"description": STATUS_TEXT[status],
                                      "content": {"application/json": {"schema": error_ref}}}
    responses.update(op.extra)
    return responses


def _operation(app, op):
    rule = _rule_for(app, op)
    path = op.path or _openapi_path(rule)
    declared = {(p["in"], p["name"]) for p in op.params}
    params = [_path_parameter(name, rule._converters[name]) for name in sorted(rule.arguments)
              if ("path", name) not in declared and "{" + name + "}" in path] if rule else []
    operation = {"operationId": op.operation_id or op.endpoint, "summary": op.summary, "tags": [op.tag],
                 "responses": _responses(op)}
    if op.description:
        operation["description"] = op.description
    if params or op.params:
        operation["parameters"] = params + list(op.params)
    if op.security is not None:
        operation["security"] = op.security
    if op.body is not None:
        operation["requestBody"] = {"required": op.body_required, "content": _content(op.body)}
    return path, operation


def build_spec(app):
    """The whole description as a dict (OpenAPI 3.1)."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(title="Hep.gg AI", version="1", openapi_version="3.1.0", plugins=[plugin],
                   info={"description": DESCRIPTION}, tags=TAGS)
    plugin.converter.add_attribute_function(_micro_amount)
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("AnthropicError", schema=AnthropicErrorSchema)
    spec.components.schema("OpenAIError", schema=OpenAIErrorSchema)
    for name, scheme in SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    paths = {}
    for op in OPERATIONS:
        path, operation = _operation(app, op)
        paths.setdefault(path, {})[op.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
