"""Encryption at rest: round trips, keys from ENCRYPTION_KEY or SECRET_KEY, rotation."""
import pytest
from cryptography.fernet import Fernet

from app.services.credentials import crypto
from app.services.credentials.crypto import SecretBox, SecretUnreadable, keys_from_config


def test_round_trip_and_ciphertext_hides_the_plaintext(app):
    ciphertext = crypto.encrypt("sk-ant-api03-very-secret")
    assert "very-secret" not in ciphertext
    assert crypto.decrypt(ciphertext) == "sk-ant-api03-very-secret"


def test_the_same_plaintext_encrypts_differently_each_time():
    box = SecretBox(keys_from_config(None, "k"))
    assert box.encrypt("x") != box.encrypt("x")


def test_without_encryption_key_the_key_derives_from_secret_key():
    one = SecretBox(keys_from_config(None, "secret-one"))
    same = SecretBox(keys_from_config(None, "secret-one"))
    other = SecretBox(keys_from_config(None, "secret-two"))
    token = one.encrypt("payload")
    assert same.decrypt(token) == "payload"
    with pytest.raises(SecretUnreadable):
        other.decrypt(token)


def test_rotation_new_key_first_old_key_still_decrypts_then_reencrypt():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_box = SecretBox(keys_from_config(old_key, None))
    stored = old_box.encrypt("pooled-credential")

    rotated_box = SecretBox(keys_from_config(f"{new_key},{old_key}", None))
    assert rotated_box.decrypt(stored) == "pooled-credential"
    moved = rotated_box.reencrypt(stored)

    new_only = SecretBox(keys_from_config(new_key, None))
    assert new_only.decrypt(moved) == "pooled-credential"
    with pytest.raises(SecretUnreadable):
        new_only.decrypt(stored)


def test_a_secret_key_derived_value_stays_readable_after_moving_to_an_explicit_key():
    before = SecretBox(keys_from_config(None, "the-secret-key"))
    stored = before.encrypt("usage-token")
    after = SecretBox(keys_from_config(Fernet.generate_key().decode(), "the-secret-key"))
    assert after.decrypt(stored) == "usage-token"


def test_a_passphrase_that_is_not_a_fernet_key_is_stretched():
    box = SecretBox(keys_from_config("correct horse battery staple", None))
    assert box.decrypt(box.encrypt("x")) == "x"


def test_garbage_ciphertext_is_a_clear_error_not_a_crash():
    box = SecretBox(keys_from_config(None, "k"))
    with pytest.raises(SecretUnreadable, match="cannot be decrypted"):
        box.decrypt("not-a-fernet-token")


def test_no_key_at_all_is_refused():
    with pytest.raises(RuntimeError):
        keys_from_config(None, None)
