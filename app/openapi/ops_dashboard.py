"""Operations of the dashboard's JSON API (/api/v1/ai/...): session cookie, and CSRF on every change."""
from app.dashboard import response_schemas as out
from app.dashboard import schemas as inp
from app.openapi.operation import JSON, Op
from app.openapi.security import PUBLIC, SESSION, SESSION_CSRF
from app.usage_api.schemas import AccountUsageSchema, PoolUsageSchema

TAG, ADMIN_TAG = "Dashboard API", "Dashboard admin API"


def _get(endpoint, summary, schema, errors=(), **kwargs):
    return Op(f"dashboard.api.{endpoint}", "GET", summary, TAG, JSON, {200: schema}, (401, *errors), SESSION,
              **kwargs)


def _change(endpoint, method, summary, ok, errors=(), *, admin=False, **kwargs):
    # State-changing requests are CSRF-checked (400 csrf_failed) before anything else.
    prefix = "dashboard.admin_api" if admin else "dashboard.api"
    statuses = (400, 401, 413, *((403,) if admin else ()), *errors)
    return Op(f"{prefix}.{endpoint}", method, summary, ADMIN_TAG if admin else TAG, JSON, ok, statuses,
              SESSION_CSRF, **kwargs)


def _admin_get(endpoint, summary, schema):
    return Op(f"dashboard.admin_api.{endpoint}", "GET", summary, ADMIN_TAG, JSON, {200: schema}, (401, 403), SESSION)


OPERATIONS = [
    Op("dashboard.api.csrf_token", "GET", "The session's CSRF token", TAG, JSON, {200: out.CsrfTokenSchema}, (),
       PUBLIC, description="Also starts a (signed-out) session: keep its cookie for the sign-in."),
    Op("dashboard.api.login", "POST", "Sign in; the response sets the session cookie", TAG, JSON,
       {200: out.SignedInSchema}, (400, 401, 413, 429), SESSION_CSRF, body=inp.LoginSchema,
       description="Needs the CSRF token of the signed-out session. Repeated failures are throttled (429)."),
    _change("logout", "POST", "End the session", {200: out.SignedOutSchema}),
    _get("account", "Profile, cap, spend in the window, overage and hep tokens", out.AccountSchema),
    _change("update_account", "PATCH", "Overage opt-in and overage cap", {200: out.AccountSchema},
            body=inp.AccountUpdateSchema, body_required=False),
    _change("rotate_account_key", "POST", "Replace the ccas_ account key (shown in this response only)",
            {200: out.AccountSchema}),
    _get("usage_token", "Whether the usage token exists, its prefix and times", out.UsageTokenStatusSchema),
    _change("usage_token_action", "POST", "Reveal or rotate the usage token", {200: out.UsageTokenStatusSchema},
            (404,), body=inp.UsageTokenActionSchema),
    _get("list_machines", "Machines with their usage over the window", out.MachineListSchema),
    _change("create_machine", "POST", "Create a machine (its proxy token is shown once)", {201: out.MachineSchema},
            (409,), body=inp.MachineCreateSchema),
    _change("update_machine", "PATCH", "Switch a machine's passthrough flag", {200: out.MachineSchema}, (404, 409),
            body=inp.MachineUpdateSchema),
    _change("rotate_machine", "POST", "New proxy token for a machine (shown once)", {200: out.MachineSchema},
            (404, 409)),
    _change("revoke_machine", "POST", "Revoke a machine's token for good", {200: out.MachineSchema}, (404,)),
    _get("list_models", "Models this user may bind an LLM key to", out.CatalogueModelListSchema),
    _get("list_llm_keys", "The user's LLM keys (display prefixes only)", out.LlmKeyListSchema),
    _change("create_llm_key", "POST", "Mint an LLM key (shown once)", {201: out.LlmKeySchema}, (403, 404, 409),
            body=inp.LlmKeyCreateSchema, body_required=False),
    _change("rotate_llm_key", "POST", "Replace an LLM key's secret (shown once)", {200: out.LlmKeySchema}, (404,)),
    _change("delete_llm_key", "DELETE", "Delete an LLM key", {200: out.DeletedSchema}, (404,)),
    _get("pooled_accounts", "Pooled accounts with cached usage and the active flag", PoolUsageSchema),
    _get("list_skills", "The skills access key's status and the user's skills", out.SkillListSchema),
    _get("skills_access_key", "Whether the skills access key exists", out.AccessKeyStatusSchema),
    _change("skills_access_key_action", "POST", "Reveal or rotate the skills access key",
            {200: out.AccessKeyStatusSchema}, (404,), body=inp.AccessKeyActionSchema),
    _change("delete_skill", "DELETE", "Delete one of the user's skills", {200: out.SkillDeletedSchema}, (404,)),
    # Admins only.
    _change("add_pooled_account", "POST", "Add a pooled account (credentials never echoed)",
            {201: AccountUsageSchema}, (409,), admin=True, body=inp.PooledAccountCreateSchema),
    _change("update_pooled_account", "PATCH", "Disable or re-enable a pooled account", {200: AccountUsageSchema},
            (404, 409), admin=True, body=inp.PooledAccountUpdateSchema),
    _change("activate_pooled_account", "POST", "Make a pooled account the active one", {200: AccountUsageSchema},
            (404, 409), admin=True),
    _change("remove_pooled_account", "DELETE", "Remove a pooled account and its credentials",
            {200: out.DeletedSchema}, (404, 409), admin=True),
    _admin_get("list_models", "The whole model catalogue with upstream details", out.CatalogueModelListSchema),
    _change("add_model", "POST", "Add a model to the catalogue", {201: out.CatalogueModelSchema}, (409,),
            admin=True, body=inp.ModelCreateSchema),
    _change("update_model", "PATCH", "Change a model's upstream, prices or access", {200: out.CatalogueModelSchema},
            (404, 409), admin=True, body=inp.ModelUpdateSchema, body_required=False),
    _change("remove_model", "DELETE", "Remove a model from the catalogue", {200: out.DeletedSchema}, (404, 409),
            admin=True),
    _admin_get("list_users", "Every user with settings, balance and spend", out.UserListSchema),
    _change("create_user", "POST", "Create a user (their ccas_ key is shown once)", {201: out.UserSchema}, (409,),
            admin=True, body=inp.UserCreateSchema),
    _change("update_user", "PATCH", "Set a user's cap, overage, hep tokens or admin flag", {200: out.UserSchema},
            (404, 409), admin=True, body=inp.UserUpdateSchema, body_required=False),
    _admin_get("list_skills", "Every user's skills with their owners", out.AdminSkillListSchema),
    _change("publish_skill", "POST", "Publish a skill at /skills/<name>", {200: out.AdminSkillSchema}, (404, 409),
            admin=True),
    _change("unpublish_skill", "POST", "Make a skill private again", {200: out.AdminSkillSchema}, (404, 409),
            admin=True),
]
