"""The security schemes of each surface, and the requirement lists operations use.

Every example value is an obvious placeholder: no secret minted anywhere ever appears here.
"""
SCHEMES = {
    "proxyTokenApiKey": {
        "type": "apiKey", "in": "header", "name": "x-api-key",
        "description": "The machine's proxy token is the `{proxy_token}` path segment. It may be repeated in "
                       "x-api-key (as the anthropic SDKs send it); a different token there is refused with 401.",
    },
    "proxyTokenBearer": {
        "type": "http", "scheme": "bearer",
        "description": "The proxy token repeated as `Authorization: Bearer <proxy token>` (optional, must match "
                       "the path). On a passthrough machine these headers carry the caller's own Anthropic "
                       "credential instead.",
    },
    "llmKey": {"type": "http", "scheme": "bearer", "bearerFormat": "sk-hyd-...",
               "description": "An LLM key: `Authorization: Bearer sk-hyd-...` (created in the dashboard)."},
    "usageToken": {"type": "http", "scheme": "bearer", "bearerFormat": "usg_...",
                   "description": "The user's usage token: `Authorization: Bearer usg_...`."},
    "accountKey": {"type": "http", "scheme": "bearer", "bearerFormat": "ccas_...",
                   "description": "The account key the ccas CLI signs in with: `Authorization: Bearer ccas_...`."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "The dashboard's session cookie, set by POST /api/v1/ai/login."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                  "description": "The session's CSRF token (GET /api/v1/ai/csrf-token), required on every "
                                 "state-changing dashboard request, sign-in included."},
}

PROXY = [{}, {"proxyTokenApiKey": []}, {"proxyTokenBearer": []}]
LLM_KEY = [{"llmKey": []}]
USAGE_TOKEN = [{"usageToken": []}]
ACCOUNT_KEY = [{"accountKey": []}]
SESSION = [{"sessionCookie": []}]
SESSION_CSRF = [{"sessionCookie": [], "csrfToken": []}]
PUBLIC = []
