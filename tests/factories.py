"""Row factories built on the services, so test rows are made the way the product makes them.

Plaintext secrets are attached to the returned objects (`.token`, `.account_key`) for tests.
"""
import itertools

from app.services.openai import catalogue
from app.services.openai import keys as llm_keys
from app.services.credentials import machines
from app.services.pool import accounts as pool
from app.services.credentials import user_tokens
from app.services.accounts import users
from app.services.money import parse_micro


class Factories:
    def __init__(self):
        self._seq = itertools.count(1)

    def user(self, email=None, *, password="correct-horse-battery", admin=False, cap_usd="20",
             overage=False, overage_cap_usd="0", hep_tokens="0"):
        user, account_key = users.create_user(
            email or f"user{next(self._seq)}@example.com", password, is_admin=admin,
            cap_micro_usd=parse_micro(cap_usd))
        users.update_user(user, overage_enabled=overage, overage_cap_micro_usd=parse_micro(overage_cap_usd),
                          hep_token_balance_micro=parse_micro(hep_tokens))
        user.account_key = account_key
        user.password = password
        return user

    def machine(self, user, name=None, *, passthrough=False):
        machine, token = machines.create_machine(user, name or f"machine-{next(self._seq)}",
                                                 passthrough=passthrough)
        machine.token = token
        return machine

    def model(self, name=None, *, upstream_url="http://127.0.0.1:9/v1", input_usd="0.1",
              output_usd="0.4", cached_input_usd=None, user_allowed=True, upstream_model=None,
              upstream_api_key=None):
        return catalogue.add_model(
            name or f"model-{next(self._seq)}", upstream_url=upstream_url, upstream_model=upstream_model,
            upstream_api_key=upstream_api_key,
            input_micro_usd_per_mtok=parse_micro(input_usd), output_micro_usd_per_mtok=parse_micro(output_usd),
            cached_input_micro_usd_per_mtok=None if cached_input_usd is None else parse_micro(cached_input_usd),
            user_allowed=user_allowed)

    def llm_key(self, user, models=None, *, label=None):
        names = [m if isinstance(m, str) else m.name for m in (models or [])] or None
        key, token = llm_keys.create_llm_key(user, model_names=names, label=label)
        key.token = token
        return key

    def usage_token(self, user):
        token, _ = user_tokens.ensure_usage_token(user)
        return token

    def pooled_account(self, label=None, *, api_key=None, oauth_access_token=None,
                       oauth_refresh_token=None, oauth_expires_at=None):
        if not api_key and not oauth_access_token:
            api_key = f"sk-ant-api03-test-{next(self._seq)}"
        return pool.add_pooled_account(
            label or f"account-{next(self._seq)}", api_key=api_key, oauth_access_token=oauth_access_token,
            oauth_refresh_token=oauth_refresh_token, oauth_expires_at=oauth_expires_at, via="test")
