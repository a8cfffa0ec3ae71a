"""The CLI API's one way in: `Authorization: Bearer ccas_...`, the caller set on `g.cli_user`."""
import functools

from flask import g, request

from app.services.credentials.secrets import bearer_token
from app.services.credentials.user_tokens import user_for_account_key
from app.services.errors import Unauthenticated

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ccas"'}


def require_account_key(view):
    """Let the view run only for a live account key; 401 otherwise (a rotated key at once)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            raise Unauthenticated("missing account key: send 'Authorization: Bearer ccas_...'",
                                  headers=CHALLENGE)
        user = user_for_account_key(token)
        if user is None:
            raise Unauthenticated("invalid account key (it may have been rotated); "
                                  "copy the current one from the dashboard", headers=CHALLENGE)
        g.cli_user = user
        return view(*args, **kwargs)
    return wrapper
