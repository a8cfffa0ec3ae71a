"""Sessions: Flask-Login's user loader, and starting/ending a signed-in session.

The session cookie (HttpOnly, SameSite=Lax, Secure outside development; see config.py)
holds the user id and a keyed fingerprint of the password hash and the user's session epoch:
changing a password ends every other session of that user at their next request, and signing
out ends every session of that user, a copied cookie included (Flask's sessions live in the
cookie alone, so the epoch is the server-side state that lets a sign-out revoke one).
"""
from flask import g, session
from flask_login import current_user, login_user, logout_user

from app.extensions import db, login_manager
from app.models import User
from app.services.errors import Unauthenticated
from app.services.accounts.sign_in import session_fingerprint

FINGERPRINT_KEY = "_hep_pw"


def load_user(user_id):
    """Flask-Login's loader: the session's user, unless their password changed or they signed out since."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or session.get(FINGERPRINT_KEY) != session_fingerprint(user):
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
    session[FINGERPRINT_KEY] = session_fingerprint(user)


def end_session():
    """Sign out everywhere: bump the user's session epoch, so no cookie issued before (this one,
    or a copy of it) is accepted again, and drop everything the session held."""
    if current_user.is_authenticated:
        current_user.session_epoch += 1
        db.session.commit()
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
