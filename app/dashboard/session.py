"""Sessions: Flask-Login's user loader, and starting/ending a signed-in session.

The session cookie (HttpOnly, SameSite=Lax, Secure outside development; see config.py)
holds the user id and a keyed fingerprint of the password hash: changing a password ends
every other session of that user at their next request.
"""
from flask import g, session
from flask_login import login_user, logout_user

from app.extensions import db, login_manager
from app.models import User
from app.services.errors import Unauthenticated
from app.services.sign_in import password_fingerprint

FINGERPRINT_KEY = "_hep_pw"


def load_user(user_id):
    """Flask-Login's loader: the session's user, unless their password changed since sign-in."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or session.get(FINGERPRINT_KEY) != password_fingerprint(user):
        return None
    return user


def _unauthorized():
    # The guards answer signed-out requests themselves; this only backs up flask_login.login_required.
    raise Unauthenticated("Sign in to use the dashboard.")


def init_app(app):
    """Bind the user loader; sessions are not 'remembered' beyond the browser session."""
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.session_protection = "basic"


def start_session(user):
    """Sign `user` in on a fresh session (a new CSRF secret too: no session fixation)."""
    session.clear()
    g.pop("csrf_token", None)  # generate_csrf() caches the old session's token per request
    login_user(user, remember=False)
    session[FINGERPRINT_KEY] = password_fingerprint(user)


def end_session():
    """Sign out and drop everything the session held."""
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
