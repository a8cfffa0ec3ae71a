"""Operations of the usage API, /healthz and the description itself."""
from app.openapi.operation import JSON, Op
from app.openapi.schemas import HealthSchema
from app.openapi.security import PUBLIC, USAGE_TOKEN
from app.usage_api.schemas import AccountUsageSchema, ActivationSchema, PoolUsageSchema

TAG = "Usage API"
ETAG = {"ETag": {"description": "Strong tag over the body bytes", "schema": {"type": "string"}}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "The ETag of a previous answer: 304 without a body when it still holds."}
ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^[0-9]+$", "example": "1"},
              "description": "A pooled account's id (anything else is a 404)."}

OPERATIONS = [
    Op("usage_api.pool_usage", "GET", "Every pooled account's cached usage", TAG, JSON,
       {200: PoolUsageSchema, 304: None}, (401,), USAGE_TOKEN, params=[IF_NONE_MATCH], headers={200: ETAG},
       description="Served from the cache, never from Anthropic on the request path."),
    Op("usage_api.account_usage", "GET", "One pooled account's cached usage", TAG, JSON,
       {200: AccountUsageSchema, 304: None}, (401, 404), USAGE_TOKEN, params=[ACCOUNT_ID, IF_NONE_MATCH],
       headers={200: ETAG}),
    Op("usage_api.activate_account", "POST", "Make a pooled account the globally active one", TAG, JSON,
       {200: ActivationSchema}, (401, 404, 409), USAGE_TOKEN, params=[ACCOUNT_ID], body=None),
    Op("health.healthz", "GET", "Load balancer health check", "Operation", JSON,
       {200: HealthSchema}, (), PUBLIC,
       description="200 when the database answers; 503 {status: unavailable, database: unreachable} otherwise."),
    Op("openapi.openapi_json", "GET", "This OpenAPI 3.1 description", "Operation", JSON,
       {200: {"application/json": {"type": "object"}}}, (), PUBLIC),
]
