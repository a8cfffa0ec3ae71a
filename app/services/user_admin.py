"""What admins do to other users from the dashboard: list, look up, change settings."""
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import users
from app.services.errors import Conflict, NotFound


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
    return users.update_user(user, cap_micro_usd=cap_micro_usd, overage_enabled=overage_enabled,
                             overage_cap_micro_usd=overage_cap_micro_usd,
                             hep_token_balance_micro=hep_token_balance_micro, is_admin=is_admin)
