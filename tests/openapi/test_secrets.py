"""No secret ever appears in the description or the docs page: examples are placeholders."""
import re

from app.services.credentials import user_tokens
from app.services.skills import registry as skills
from tests.openapi.helpers import fetch_spec

# What a real token of each kind looks like: its prefix and a long random tail.
REAL_LOOKING = re.compile(r"(ccas_|cct_|usg_|sk-hyd-|skl_|sk-ant-[a-z0-9]+-)[A-Za-z0-9_\-]{16,}")


def test_no_minted_secret_appears_in_openapi_json_or_docs(client, factories):
    user = factories.user(admin=True)
    minted = [user.account_key, user_tokens.rotate_account_key(user), factories.machine(user).token,
              factories.llm_key(user, [factories.model()]).token, factories.usage_token(user),
              skills.rotate_access_key(user)]
    api_key = "sk-ant-api03-" + "q" * 40
    factories.pooled_account(api_key=api_key)
    minted.append(api_key)
    assert all(len(secret) >= 20 for secret in minted)

    fetch_spec(client)  # rebuilt now, after the secrets were minted
    spec_text = client.get("/openapi.json").get_data(as_text=True)
    docs_text = client.get("/docs").get_data(as_text=True)
    for text in (spec_text, docs_text):
        for secret in minted:
            assert secret not in text
        assert REAL_LOOKING.search(text) is None, REAL_LOOKING.search(text)


def test_examples_are_obvious_placeholders(client):
    spec = fetch_spec(client)
    examples = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("example", "examples"):
                    examples.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert examples
    assert not any(REAL_LOOKING.search(str(example)) for example in examples)
