"""Checking a sign-in: throttle first, then the password, with one answer for every failure."""
import hmac
import secrets
from functools import lru_cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app.services.accounts import login_throttle, users
from app.services.errors import Unauthenticated

BAD_CREDENTIALS = "Incorrect email or password."


@lru_cache(maxsize=4)
def _decoy_hash(method):
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def sign_in(email, password, address, now=None):
    """The user for these credentials; Unauthenticated or RateLimited otherwise.

    Unknown emails cost a password check against a decoy hash, so the answer and its
    timing say nothing about which emails have accounts.
    """
    email = users.normalize_email(email)
    login_throttle.check_login_allowed(email, address, now)
    user = users.find_user_by_email(email) if email else None
    if user is None:
        check_password_hash(_decoy_hash(current_app.config["PASSWORD_HASH_METHOD"]),
                            str(password or "")[:users.MAX_PASSWORD_LENGTH])
        ok = False
    else:
        ok = users.verify_password(user, password)
    if not ok:
        login_throttle.record_login_failure(email, address, now)
        raise Unauthenticated(BAD_CREDENTIALS, code="invalid_credentials")
    login_throttle.record_login_success(email)
    return user


def session_fingerprint(user):
    """A short keyed digest of the password hash and the session epoch: sessions carry it, so a
    new password, or signing out, ends every session issued before."""
    key = current_app.config["SECRET_KEY"].encode()
    material = f"{user.password_hash}\0{user.session_epoch}".encode()
    return hmac.new(key, material, "sha256").hexdigest()[:32]
