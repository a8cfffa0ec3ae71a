"""The route table of the access-control matrix: every (endpoint, method) of the app, with the
surface that decides how it authenticates and answers. A route missing here fails the matrix.

Surfaces:
- proxy        `/anthropic/<cct_ token>/...`, Anthropic error shape
- openai       `Authorization: Bearer sk-hyd-...`, OpenAI error shape
- usage        `Authorization: Bearer usg_...`, {"error": {"code", "message"}}
- cli          `Authorization: Bearer ccas_...`, {"error": {"code", "message"}}
- dash_api     session cookie + CSRF, {"error": {"code", "message"}}; `admin` routes 403 non-admins
- dash_page    session cookie + CSRF, HTML (sign-in redirect, error pages)
- skills_key   the `skl_` capability key in the URL, {"error": {"code", "message"}}
- public       no credential at all (health, sign-in, CSRF token, public skills, static files)
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    surface: str
    admin: bool = False
    # Which URL argument names an object owned by a user (so another user's id must answer as an unknown one).
    owned: str | None = None


PROXY, OPENAI, USAGE, CLI = Route("proxy"), Route("openai"), Route("usage"), Route("cli")
A, AA = Route("dash_api"), Route("dash_api", admin=True)
G, GA = Route("dash_page"), Route("dash_page", admin=True)
PUBLIC = Route("public")

ROUTES = {
    # Anthropic proxy: every method, with and without a sub-path.
    **{("proxy.forward", m, r): PROXY for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
       for r in ("/anthropic/<token>/", "/anthropic/<token>/<path:subpath>")},
    # OpenAI-compatible API.
    ("openai_api.chat_completions", "POST", None): OPENAI,
    ("openai_api.list_models", "GET", None): OPENAI,
    ("openai_api.get_model", "GET", None): OPENAI,
    # Usage API (pooled accounts are shared by everyone: no per-user objects).
    ("usage_api.pool_usage", "GET", None): USAGE,
    ("usage_api.account_usage", "GET", None): USAGE,
    ("usage_api.activate_account", "POST", None): USAGE,
    # CLI API (ccas).
    ("cli_api.me", "GET", None): CLI,
    ("cli_api.create_machine", "POST", None): CLI,
    ("cli_api.list_machines", "GET", None): CLI,
    ("cli_api.get_machine", "GET", None): Route("cli", owned="machine_id"),
    ("cli_api.rotate_machine", "POST", None): Route("cli", owned="machine_id"),
    ("cli_api.revoke_machine", "POST", None): Route("cli", owned="machine_id"),
    ("cli_api.pooled_usage", "GET", None): CLI,
    ("cli_api.show_usage_token", "GET", None): CLI,
    ("cli_api.mint_usage_token", "POST", None): CLI,
    ("cli_api.rotate_usage_token", "POST", None): CLI,
    ("cli_api.activate_account", "POST", None): CLI,
    # Dashboard JSON API.
    ("dashboard.api.account", "GET", None): A,
    ("dashboard.api.update_account", "PATCH", None): A,
    ("dashboard.api.rotate_account_key", "POST", None): A,
    ("dashboard.api.pooled_accounts", "GET", None): A,
    ("dashboard.api.list_llm_keys", "GET", None): A,
    ("dashboard.api.create_llm_key", "POST", None): A,
    ("dashboard.api.delete_llm_key", "DELETE", None): Route("dash_api", owned="key_id"),
    ("dashboard.api.rotate_llm_key", "POST", None): Route("dash_api", owned="key_id"),
    ("dashboard.api.logout", "POST", None): A,
    ("dashboard.api.list_machines", "GET", None): A,
    ("dashboard.api.create_machine", "POST", None): A,
    ("dashboard.api.update_machine", "PATCH", None): Route("dash_api", owned="machine_id"),
    ("dashboard.api.revoke_machine", "POST", None): Route("dash_api", owned="machine_id"),
    ("dashboard.api.rotate_machine", "POST", None): Route("dash_api", owned="machine_id"),
    ("dashboard.api.list_models", "GET", None): A,
    ("dashboard.api.list_skills", "GET", None): A,
    ("dashboard.api.delete_skill", "DELETE", None): Route("dash_api", owned="name"),
    ("dashboard.api.skills_access_key", "GET", None): A,
    ("dashboard.api.skills_access_key_action", "POST", None): A,
    ("dashboard.api.usage_token", "GET", None): A,
    ("dashboard.api.usage_token_action", "POST", None): A,
    # Dashboard JSON API, administrators only (pool, catalogue, users, skills publishing).
    ("dashboard.admin_api.add_pooled_account", "POST", None): AA,
    ("dashboard.admin_api.update_pooled_account", "PATCH", None): AA,
    ("dashboard.admin_api.remove_pooled_account", "DELETE", None): AA,
    ("dashboard.admin_api.activate_pooled_account", "POST", None): AA,
    ("dashboard.admin_api.list_models", "GET", None): AA,
    ("dashboard.admin_api.add_model", "POST", None): AA,
    ("dashboard.admin_api.update_model", "PATCH", None): AA,
    ("dashboard.admin_api.remove_model", "DELETE", None): AA,
    ("dashboard.admin_api.list_skills", "GET", None): AA,
    ("dashboard.admin_api.publish_skill", "POST", None): AA,
    ("dashboard.admin_api.unpublish_skill", "POST", None): AA,
    ("dashboard.admin_api.list_users", "GET", None): AA,
    ("dashboard.admin_api.create_user", "POST", None): AA,
    ("dashboard.admin_api.update_user", "PATCH", None): AA,
    # Dashboard pages.
    ("dashboard.pages.overview", "GET", None): G,
    ("dashboard.pages.rotate_account_key", "POST", None): G,
    ("dashboard.pages.pooled_accounts", "GET", None): G,
    ("dashboard.pages.keys_page", "GET", None): G,
    ("dashboard.pages.create_key", "POST", None): G,
    ("dashboard.pages.delete_key", "GET", None): Route("dash_page", owned="key_id"),
    ("dashboard.pages.delete_key", "POST", None): Route("dash_page", owned="key_id"),
    ("dashboard.pages.rotate_key", "POST", None): Route("dash_page", owned="key_id"),
    ("dashboard.pages.logout", "POST", None): G,
    ("dashboard.pages.machines_page", "GET", None): G,
    ("dashboard.pages.create_machine", "POST", None): G,
    ("dashboard.pages.toggle_passthrough", "POST", None): Route("dash_page", owned="machine_id"),
    ("dashboard.pages.revoke_machine", "GET", None): Route("dash_page", owned="machine_id"),
    ("dashboard.pages.revoke_machine", "POST", None): Route("dash_page", owned="machine_id"),
    ("dashboard.pages.rotate_machine", "POST", None): Route("dash_page", owned="machine_id"),
    ("dashboard.pages.update_overage", "POST", None): G,
    ("dashboard.pages.skills_page", "GET", None): G,
    ("dashboard.pages.delete_skill", "GET", None): Route("dash_page", owned="name"),
    ("dashboard.pages.delete_skill", "POST", None): Route("dash_page", owned="name"),
    ("dashboard.pages.reveal_skills_key", "POST", None): G,
    ("dashboard.pages.rotate_skills_key", "GET", None): G,
    ("dashboard.pages.rotate_skills_key", "POST", None): G,
    ("dashboard.pages.usage_token", "GET", None): G,
    ("dashboard.pages.usage_token_action", "POST", None): G,
    # Dashboard pages, administrators only.
    ("dashboard.admin_pages.models_page", "GET", None): GA,
    ("dashboard.admin_pages.add_model", "POST", None): GA,
    ("dashboard.admin_pages.edit_model", "GET", None): GA,
    ("dashboard.admin_pages.edit_model", "POST", None): GA,
    ("dashboard.admin_pages.remove_model", "GET", None): GA,
    ("dashboard.admin_pages.remove_model", "POST", None): GA,
    ("dashboard.admin_pages.pool_page", "GET", None): GA,
    ("dashboard.admin_pages.add_pooled_account", "POST", None): GA,
    ("dashboard.admin_pages.activate_pooled_account", "POST", None): GA,
    ("dashboard.admin_pages.toggle_pooled_account", "POST", None): GA,
    ("dashboard.admin_pages.remove_pooled_account", "GET", None): GA,
    ("dashboard.admin_pages.remove_pooled_account", "POST", None): GA,
    ("dashboard.admin_pages.skills_page", "GET", None): GA,
    ("dashboard.admin_pages.publish_skill", "POST", None): GA,
    ("dashboard.admin_pages.unpublish_skill", "POST", None): GA,
    ("dashboard.admin_pages.users_page", "GET", None): GA,
    ("dashboard.admin_pages.create_user", "POST", None): GA,
    ("dashboard.admin_pages.edit_user", "GET", None): GA,
    ("dashboard.admin_pages.edit_user", "POST", None): GA,
    # Skills behind a capability key.
    ("skills.private_index", "GET", None): Route("skills_key"),
    ("skills.private_skill", "GET", None): Route("skills_key", owned="name"),
    ("skills.delete_skill", "DELETE", None): Route("skills_key", owned="name"),
    ("skills.import_skill", "POST", None): Route("skills_key"),
    # Public: no credential is asked for (sign-in and the CSRF token included).
    ("health.healthz", "GET", None): PUBLIC,
    ("openapi.openapi_json", "GET", None): PUBLIC,
    ("openapi.docs", "GET", None): PUBLIC,
    ("skills.public_index", "GET", None): PUBLIC,
    ("skills.public_skill", "GET", None): PUBLIC,
    ("static", "GET", None): PUBLIC,
    ("dashboard.static", "GET", None): PUBLIC,
    ("dashboard.home", "GET", None): PUBLIC,
    ("dashboard.api.csrf_token", "GET", None): PUBLIC,
    ("dashboard.api.login", "POST", None): PUBLIC,
    ("dashboard.pages.login", "GET", None): PUBLIC,
    ("dashboard.pages.login", "POST", None): PUBLIC,
}

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def app_routes(app):
    """(endpoint, method, rule) for every route of the app (HEAD and OPTIONS are Flask's own)."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


def table_key(endpoint, method, rule):
    """The ROUTES key of a route: the rule is only part of it where one endpoint has several."""
    return (endpoint, method, rule.rule if endpoint == "proxy.forward" else None)
