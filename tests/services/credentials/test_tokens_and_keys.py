"""Users, account keys, machines, usage tokens, LLM keys and the catalogue."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AiAccount, LlmKey, Machine, UsageToken
from app.services.accounts import users
from app.services.credentials import machines, user_tokens
from app.services.credentials.secrets import digest_secret
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.openai import catalogue
from app.services.openai import keys as llm_keys
from tests.lookups import key_of, machine_of


def test_create_user_stores_a_hash_and_a_digest_never_the_plaintexts(factories):
    user = factories.user("Ada@Example.com", password="s3cret-password")
    assert user.email == "ada@example.com"
    assert "s3cret-password" not in user.password_hash
    assert users.verify_password(user, "s3cret-password")
    assert not users.verify_password(user, "wrong-password")
    row = db.session.scalar(select(AiAccount).where(AiAccount.user_id == user.id))
    assert row.key_digest == digest_secret(user.account_key)
    assert user.account_key.startswith("ccas_") and user.account_key not in row.key_prefix + row.key_digest
    assert user.cap_micro_usd == 20_000_000


def test_duplicate_emails_bad_emails_and_short_passwords_are_refused(factories):
    factories.user("a@example.com")
    with pytest.raises(Conflict):
        users.create_user("A@example.com", "long-enough-pw")
    with pytest.raises(InvalidInput):
        users.create_user("not-an-email", "long-enough-pw")
    with pytest.raises(InvalidInput):
        users.create_user("b@example.com", "short")


def test_account_key_rotation_kills_the_old_key(factories):
    user = factories.user()
    assert user_tokens.user_for_account_key(user.account_key).id == user.id
    new_key = user_tokens.rotate_account_key(user)
    assert user_tokens.user_for_account_key(user.account_key) is None
    assert user_tokens.user_for_account_key(new_key).id == user.id
    assert user_tokens.user_for_account_key("cct_" + new_key[5:]) is None


def test_machine_tokens_rotate_and_revoke(factories):
    user = factories.user()
    machine = factories.machine(user, "laptop")
    assert machine_of(machine.token).id == machine.id
    _, new_token = machines.rotate_machine_token(user, machine.id)
    assert machine_of(machine.token) is None
    assert machine_of(new_token).id == machine.id
    machines.revoke_machine(user, machine.id)
    assert machine_of(new_token) is None
    assert db.session.get(Machine, machine.id) is not None  # history stays
    with pytest.raises(Conflict):
        machines.rotate_machine_token(user, machine.id)


def test_another_users_machine_is_not_found(factories):
    owner, other = factories.user(), factories.user()
    machine = factories.machine(owner)
    for call in (machines.rotate_machine_token, machines.revoke_machine, machines.get_machine):
        with pytest.raises(NotFound):
            call(other, machine.id)
    with pytest.raises(NotFound):
        machines.get_machine(owner, 424242)


def test_machine_names_are_validated(factories):
    user = factories.user()
    for bad in ("", "   ", "x" * 121, "bad\nname"):
        with pytest.raises(InvalidInput):
            machines.create_machine(user, bad)


def test_usage_token_is_encrypted_revealable_and_rotatable(factories):
    user = factories.user()
    assert user_tokens.get_usage_token(user) is None
    with pytest.raises(NotFound):
        user_tokens.reveal_usage_token(user)
    token, created = user_tokens.ensure_usage_token(user)
    assert created and token.startswith("usg_")
    row = db.session.scalar(select(UsageToken).where(UsageToken.user_id == user.id))
    assert token not in row.token_encrypted and row.token_digest == digest_secret(token)
    assert user_tokens.ensure_usage_token(user) == (token, False)
    assert user_tokens.reveal_usage_token(user) == token
    rotated = user_tokens.rotate_usage_token(user)
    assert user_tokens.user_for_usage_token(token) is None
    assert user_tokens.user_for_usage_token(rotated).id == user.id


def test_llm_key_defaults_to_the_single_allowed_model(factories):
    user = factories.user()
    model = factories.model("qwen3-8b")
    factories.model("admin-only", user_allowed=False)
    key = factories.llm_key(user)
    assert [m.name for m in key.models] == [model.name]
    assert key.label == "qwen3-8b"
    assert key_of(key.token).id == key.id


def test_llm_key_without_a_model_names_the_choices_when_there_are_several(factories):
    user = factories.user()
    factories.model("a-model")
    factories.model("b-model")
    with pytest.raises(InvalidInput, match="a-model, b-model"):
        llm_keys.create_llm_key(user)


def test_llm_keys_cannot_bind_models_a_user_may_not_call(factories):
    user, admin = factories.user(), factories.user(admin=True)
    factories.model("admin-only", user_allowed=False)
    with pytest.raises(InvalidInput, match="not available"):
        llm_keys.create_llm_key(user, model_names=["admin-only"])
    assert factories.llm_key(admin, ["admin-only"]).models[0].name == "admin-only"


def test_llm_key_rotation_and_deletion(factories):
    user, other = factories.user(), factories.user()
    factories.model("m")
    key = factories.llm_key(user)
    with pytest.raises(NotFound):
        llm_keys.rotate_llm_key(other, key.id)
    _, new_token = llm_keys.rotate_llm_key(user, key.id)
    assert key_of(key.token) is None
    assert key_of(new_token).id == key.id
    llm_keys.delete_llm_key(user, key.id)
    assert key_of(new_token) is None
    assert llm_keys.list_llm_keys(user) == []
    assert db.session.get(LlmKey, key.id).deleted_at is not None
    with pytest.raises(NotFound):
        llm_keys.delete_llm_key(user, key.id)


def test_catalogue_validates_names_urls_and_prices(factories):
    factories.model("qwen3-8b", upstream_url="http://vllm:8000/v1/", upstream_api_key="upstream-secret")
    model = catalogue.get_model("qwen3-8b")
    assert model.upstream_base_url == "http://vllm:8000/v1"
    assert model.upstream_model == "qwen3-8b"
    assert "upstream-secret" not in model.upstream_api_key_encrypted
    assert catalogue.upstream_api_key(model) == "upstream-secret"
    with pytest.raises(Conflict):
        factories.model("qwen3-8b")
    with pytest.raises(InvalidInput):
        factories.model("bad name with spaces")
    with pytest.raises(InvalidInput):  # `$` would let a trailing newline through
        factories.model("trailing-newline\n")
    assert catalogue.find_model("qwen3-8b\n") is None
    with pytest.raises(InvalidInput):
        factories.model("ok", upstream_url="ftp://x/v1")
    with pytest.raises(InvalidInput):
        catalogue.add_model("neg", upstream_url="http://x/v1", input_micro_usd_per_mtok=-1,
                            output_micro_usd_per_mtok=1)


def test_removing_a_model_unbinds_keys(factories):
    user = factories.user()
    factories.model("m")
    key = factories.llm_key(user)
    catalogue.remove_model("m")
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert db.session.get(LlmKey, key.id).models == []
    with pytest.raises(NotFound):
        catalogue.get_model("m")
