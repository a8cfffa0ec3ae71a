"""Encryption at rest for secrets we must be able to read back (usage tokens, pool credentials).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`. ENCRYPTION_KEY holds one or more
comma-separated keys: the first encrypts, all decrypt, so a key can be rotated by putting the
new one first and running `flask secrets reencrypt`. A key that is not a Fernet key is
stretched with HKDF; with no ENCRYPTION_KEY, the key is derived from SECRET_KEY, which also
stays accepted for decryption so a deployment can move to an explicit key.
"""
import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

EXTENSION_NAME = "hepgg_secret_box"


class SecretUnreadable(Exception):
    """Stored ciphertext cannot be decrypted with any configured key."""


def _derive_fernet_key(material):
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hep.gg ai encryption at rest",
                info=b"fernet key v1")
    return base64.urlsafe_b64encode(hkdf.derive(material.encode("utf-8")))


def _as_fernet_key(value):
    try:
        if len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32:
            return value.encode("ascii")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        pass
    return _derive_fernet_key(value)


def keys_from_config(encryption_key, secret_key):
    """Fernet keys in priority order: the configured ones, then the SECRET_KEY-derived one."""
    keys = []
    if encryption_key:
        keys = [_as_fernet_key(part.strip()) for part in encryption_key.split(",") if part.strip()]
    if secret_key:
        derived = _derive_fernet_key(secret_key)
        if derived not in keys:
            keys.append(derived)
    if not keys:
        raise RuntimeError("no encryption key: set ENCRYPTION_KEY or SECRET_KEY")
    return keys


class SecretBox:
    """Encrypts text with the primary key and decrypts with any configured key."""

    def __init__(self, keys):
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext):
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext):
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with the configured keys "
                "(was ENCRYPTION_KEY or SECRET_KEY changed without keeping the old key?)") from None

    def reencrypt(self, ciphertext):
        """Re-encrypt under the primary key; raises SecretUnreadable like decrypt()."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from None


def init_app(app):
    """Build the app's SecretBox from ENCRYPTION_KEY / SECRET_KEY."""
    keys = keys_from_config(app.config.get("ENCRYPTION_KEY"), app.config.get("SECRET_KEY"))
    app.extensions[EXTENSION_NAME] = SecretBox(keys)


def secret_box():
    return current_app.extensions[EXTENSION_NAME]


def encrypt(plaintext):
    """Encrypt a secret for storage."""
    return secret_box().encrypt(plaintext)


def decrypt(ciphertext):
    """Decrypt a stored secret."""
    return secret_box().decrypt(ciphertext)
