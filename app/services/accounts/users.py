"""Users: creation, settings, password checks, and what admins change on other users."""
import re

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import User
from app.services.credentials import user_tokens
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.money import MICRO

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def normalize_email(email):
    """Emails compare case-insensitively: they are stored lower-cased and trimmed."""
    return (email or "").strip().lower()


def _validate_email(email):
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise InvalidInput(f"not a valid email address: {email!r}", fields={"email": ["Not a valid email address."]})


def _validate_password(password):
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters",
                           fields={"password": [f"Must be at least {MIN_PASSWORD_LENGTH} characters."]})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password is too long", fields={"password": ["Too long."]})


def default_cap_micro_usd():
    """The configured default rolling 30-day cap (DEFAULT_MONTHLY_CAP_USD) in micro-dollars."""
    return int(current_app.config["DEFAULT_MONTHLY_CAP_USD"] * MICRO)


def hash_password(password):
    """A salted hash with PASSWORD_HASH_METHOD (scrypt in every deployed configuration)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(email, password, *, is_admin=False, cap_micro_usd=None):
    """Create a user and their AI account; returns (user, plaintext ccas_ account key)."""
    email = normalize_email(email)
    _validate_email(email)
    _validate_password(password)
    if find_user_by_email(email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        password_hash=hash_password(password),
        is_admin=is_admin,
        cap_micro_usd=default_cap_micro_usd() if cap_micro_usd is None else cap_micro_usd,
        overage_enabled=False,
        overage_cap_micro_usd=0,
        hep_token_balance_micro=0,
        reserved_micro_usd=0,
    )
    db.session.add(user)
    db.session.flush()
    account_key = user_tokens.issue_account_key(user)
    db.session.commit()
    return user, account_key


def find_user_by_email(email):
    """The user with this email, or None."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user_by_email(email):
    """The user with this email; NotFound otherwise."""
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(f"no user with email {normalize_email(email)}")
    return user


def count_users():
    return db.session.scalar(select(func.count()).select_from(User))


def update_user(user, *, cap_micro_usd=None, overage_enabled=None, overage_cap_micro_usd=None,
                hep_token_balance_micro=None, is_admin=None):
    """Change a user's cap, overage settings, hep-token balance or admin flag; None leaves a field."""
    for value, name in ((cap_micro_usd, "cap"), (overage_cap_micro_usd, "overage cap"),
                        (hep_token_balance_micro, "hep-token balance")):
        if value is not None and value < 0:
            raise InvalidInput(f"{name} must not be negative")
    if cap_micro_usd is not None:
        user.cap_micro_usd = cap_micro_usd
    if overage_enabled is not None:
        user.overage_enabled = overage_enabled
    if overage_cap_micro_usd is not None:
        user.overage_cap_micro_usd = overage_cap_micro_usd
    if hep_token_balance_micro is not None:
        user.hep_token_balance_micro = hep_token_balance_micro
    if is_admin is not None:
        user.is_admin = is_admin
    db.session.commit()
    return user


def set_password(user, password):
    """Replace a user's password."""
    _validate_password(password)
    user.password_hash = hash_password(password)
    db.session.commit()


def verify_password(user, password):
    """True when `password` matches the user's hash."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return False
    return check_password_hash(user.password_hash, password)


def list_users():
    """Every user, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def get_user(user_id):
    """The user with this id; NotFound otherwise."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def update_user_settings(actor, user_id, *, cap_micro_usd=None, overage_enabled=None,
                         overage_cap_micro_usd=None, hep_token_balance_micro=None, is_admin=None):
    """Change a user's cap, overage settings, hep tokens or admin flag; None leaves a field.

    An admin cannot withdraw their own admin rights here, so the dashboard never locks out
    its last admin by accident (the CLI still can).
    """
    user = get_user(user_id)
    if is_admin is False and user.id == actor.id:
        raise Conflict("you cannot withdraw your own admin rights",
                       fields={"is_admin": ["You cannot withdraw your own admin rights."]})
    return update_user(user, cap_micro_usd=cap_micro_usd, overage_enabled=overage_enabled,
                             overage_cap_micro_usd=overage_cap_micro_usd,
                             hep_token_balance_micro=hep_token_balance_micro, is_admin=is_admin)
