"""Reading the served description: fetch it, and validate a body against one of its response schemas."""
from openapi_schema_validator import OAS31Validator


def fetch_spec(client):
    """The description as served (rebuilt: the cache is per app, and tests may have changed nothing else)."""
    client.application.extensions.pop("hepgg.openapi", None)
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def response_schema(spec, path, method, status, media="application/json"):
    """The documented schema of one response."""
    response = spec["paths"][path][method.lower()]["responses"][str(status)]
    return response["content"][media]["schema"]


def assert_conforms(spec, path, method, response, media="application/json"):
    """The response's status is documented for the operation and its JSON body fits the schema."""
    responses = spec["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in responses, (path, method, response.status_code, sorted(responses))
    schema = dict(response_schema(spec, path, method, response.status_code, media))
    schema["components"] = spec["components"]  # so "#/components/..." resolves against this root
    OAS31Validator(schema).validate(response.get_json())
