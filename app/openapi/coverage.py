"""Which routes the description leaves out, and the check that nothing else is left out.

Only HTML pages (and static files) may be excluded, each by name: a new programmatic route
must be documented in an ops_* module, and a new page listed here.
"""
from app.openapi.builder import OPERATIONS

# Methods Flask answers by itself (HEAD mirrors GET, OPTIONS lists the methods).
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})

EXCLUDED_ENDPOINTS = frozenset({
    "static", "dashboard.static", "dashboard.home", "openapi.docs",
    "dashboard.pages.login", "dashboard.pages.logout", "dashboard.pages.overview", "dashboard.pages.update_overage",
    "dashboard.pages.machines_page", "dashboard.pages.create_machine", "dashboard.pages.rotate_machine",
    "dashboard.pages.revoke_machine", "dashboard.pages.toggle_passthrough", "dashboard.pages.keys_page",
    "dashboard.pages.create_key", "dashboard.pages.rotate_key", "dashboard.pages.delete_key",
    "dashboard.pages.pooled_accounts", "dashboard.pages.usage_token", "dashboard.pages.usage_token_action",
    "dashboard.pages.rotate_account_key", "dashboard.pages.skills_page", "dashboard.pages.delete_skill",
    "dashboard.pages.reveal_skills_key", "dashboard.pages.rotate_skills_key",
    "dashboard.admin_pages.pool_page", "dashboard.admin_pages.add_pooled_account",
    "dashboard.admin_pages.activate_pooled_account", "dashboard.admin_pages.toggle_pooled_account",
    "dashboard.admin_pages.remove_pooled_account", "dashboard.admin_pages.models_page",
    "dashboard.admin_pages.add_model", "dashboard.admin_pages.edit_model", "dashboard.admin_pages.remove_model",
    "dashboard.admin_pages.users_page", "dashboard.admin_pages.create_user", "dashboard.admin_pages.edit_user",
    "dashboard.admin_pages.skills_page", "dashboard.admin_pages.publish_skill",
    "dashboard.admin_pages.unpublish_skill",
})


def documented_pairs():
    """(endpoint, method) of every documented operation."""
    return {(op.endpoint, op.method) for op in OPERATIONS}


def undocumented_routes(app):
    """Every (rule, method) of the app that is neither documented nor an excluded page, as strings."""
    documented = documented_pairs()
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXCLUDED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IMPLICIT_METHODS):
            if (rule.endpoint, method) not in documented:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    return missing
