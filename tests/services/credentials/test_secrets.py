"""Minting secrets, digests, display prefixes."""
import base64
import hashlib
import re

import pytest

from app.services.credentials import secrets

ALL_PREFIXES = ["ccas_", "cct_", "usg_", "sk-hyd-", "skl_"]


@pytest.mark.parametrize("prefix", ALL_PREFIXES)
def test_minted_secrets_carry_their_prefix_and_32_random_bytes(prefix):
    minted = secrets.mint_secret(prefix)
    assert minted.token.startswith(prefix)
    body = minted.token[len(prefix):]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", body)
    assert len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) >= 32


def test_minted_secrets_never_repeat():
    assert len({secrets.mint_secret("cct_").token for _ in range(500)}) == 500


def test_the_digest_is_sha256_of_the_token():
    minted = secrets.mint_secret("usg_")
    assert minted.digest == hashlib.sha256(minted.token.encode()).hexdigest()
    assert secrets.digest_secret(minted.token) == minted.digest


def test_display_prefix_shows_the_kind_and_a_few_characters_only():
    minted = secrets.mint_secret("sk-hyd-")
    assert minted.display_prefix == minted.token[: len("sk-hyd-") + 6]
    assert len(minted.display_prefix) < len(minted.token) - 30


def test_repr_never_shows_the_plaintext():
    minted = secrets.mint_secret("ccas_")
    assert minted.token not in repr(minted)


def test_unknown_prefixes_are_refused():
    with pytest.raises(ValueError):
        secrets.mint_secret("xyz_")


def test_has_prefix_is_a_cheap_type_check():
    assert secrets.has_prefix("cct_abc", "cct_")
    assert not secrets.has_prefix("cct_", "cct_")
    assert not secrets.has_prefix(None, "cct_")
    assert not secrets.has_prefix("usg_abc", "cct_")
