"""Ids in URLs: too large to be a row id is a 404, never a database error."""
import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize("method,path", [
    ("POST", f"/api/v1/ai/machines/{HUGE}/rotate"),
    ("DELETE", f"/api/v1/ai/llm-keys/{HUGE}"),
    ("GET", f"/api/v1/ai/cli/machines/{HUGE}"),
    ("POST", "/api/v1/ai/machines/2147483648/revoke"),
])
def test_ids_past_the_integer_range_are_simply_not_found(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 404
