"""Minting bearer secrets and finding them again by SHA-256 digest.

A secret is a readable prefix followed by 32 bytes of CSPRNG output, URL-safe
base64 encoded. Only the digest (and a short display prefix) is stored.
"""
import hashlib
import secrets as _secrets
from dataclasses import dataclass

ACCOUNT_KEY = "ccas_"
PROXY_TOKEN = "cct_"
USAGE_TOKEN = "usg_"
LLM_KEY = "sk-hyd-"
SKILLS_KEY = "skl_"
PREFIXES = (ACCOUNT_KEY, PROXY_TOKEN, USAGE_TOKEN, LLM_KEY, SKILLS_KEY)
RANDOM_BYTES = 32
# Characters of the random part kept in the display prefix: enough to tell keys apart.
DISPLAY_CHARS = 6


@dataclass(frozen=True)
class MintedSecret:
    """A freshly minted secret: the plaintext goes to the caller once, the rest is stored."""

    token: str
    digest: str
    display_prefix: str

    def __repr__(self):  # never let the plaintext reach a log through repr()
        return f"MintedSecret(display_prefix={self.display_prefix!r})"


def mint_secret(prefix):
    """Mint a new secret with one of the known prefixes."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown secret prefix {prefix!r}")
    token = prefix + _secrets.token_urlsafe(RANDOM_BYTES)
    return MintedSecret(token=token, digest=digest_secret(token), display_prefix=display_prefix(token))


def digest_secret(token):
    """SHA-256 hex digest of a presented secret; what lookups compare."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def display_prefix(token):
    """The prefix plus a few random characters, safe to show in lists."""
    for prefix in PREFIXES:
        if token.startswith(prefix):
            return token[: len(prefix) + DISPLAY_CHARS]
    return token[:DISPLAY_CHARS]


def bearer_token(authorization):
    """The credential of an `Authorization: Bearer <credential>` header value, stripped; None when the
    header is missing, names another scheme or carries nothing. The one parser of bearer headers."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def has_prefix(token, prefix):
    """True when `token` is a string of the given kind (a cheap check before any lookup)."""
    return isinstance(token, str) and token.startswith(prefix) and len(token) > len(prefix)
