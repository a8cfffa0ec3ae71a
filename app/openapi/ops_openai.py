"""Operations of the OpenAI-compatible API (/v1/...)."""
from app.openai_api.schemas import ChatCompletionRequestSchema, ModelListSchema, ModelSchema
from app.openapi.operation import OPENAI, SSE_EVENT, Op
from app.openapi.security import LLM_KEY

TAG = "OpenAI-compatible API"
REMAINING = {"x-hep-remaining-usd": {"description": "What the key's user may still spend in the window (USD)",
                                     "schema": {"type": "string"}}}
RELAYED = {"application/json": {"type": "object", "description": "The upstream's chat.completion, relayed"},
           "text/event-stream": SSE_EVENT}

OPERATIONS = [
    Op("openai_api.list_models", "GET", "The models this key may call", TAG, OPENAI,
       {200: ModelListSchema}, (401,), LLM_KEY, headers={200: REMAINING}),
    Op("openai_api.get_model", "GET", "One model this key may call", TAG, OPENAI,
       {200: ModelSchema}, (401, 403, 404), LLM_KEY, headers={200: REMAINING}),
    Op("openai_api.chat_completions", "POST", "Chat completion, relayed to the model's upstream", TAG, OPENAI,
       {200: RELAYED}, (400, 401, 403, 404, 413, 429, 500, 502, 504), LLM_KEY, body=ChatCompletionRequestSchema,
       headers={200: REMAINING},
       description="Unknown fields pass through. Over a spend cap: 429 with type quota_exceeded and code "
                   "quota_exhausted, overage_cap or no_hep_tokens, plus x-should-retry: false. Upstream "
                   "errors are relayed with their status and body."),
]
