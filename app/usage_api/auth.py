"""The usage API's only credential: `Authorization: Bearer usg_...`, checked by one decorator."""
import functools

from flask import g, request

from app.services.errors import Unauthenticated
from app.services.credentials.secrets import USAGE_TOKEN, bearer_token
from app.services.credentials.user_tokens import user_for_usage_token

CHALLENGE = 'Bearer realm="usage"'


def _refuse(message, *, token_presented):
    # RFC 6750: say which scheme is expected, and flag a presented token as invalid.
    challenge = CHALLENGE + (', error="invalid_token"' if token_presented else "")
    return Unauthenticated(message, headers={"WWW-Authenticate": challenge})


def _bearer_token(header):
    if not header:
        raise _refuse("This API needs a usage token: send Authorization: Bearer usg_...", token_presented=False)
    token = bearer_token(header)
    if token is None or " " in token:
        raise _refuse("Send the usage token as Authorization: Bearer usg_...", token_presented=False)
    return token


def usage_token_required(view):
    """Let the view run only for a live usage token; the token's owner is put on `g.usage_user`."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer_token(request.headers.get("Authorization"))
        if not token.startswith(USAGE_TOKEN):
            raise _refuse("This API takes a usage token (usg_...), not another kind of key.", token_presented=True)
        user = user_for_usage_token(token)
        if user is None:
            raise _refuse("The usage token is invalid or has been rotated.", token_presented=True)
        g.usage_user = user
        return view(*args, **kwargs)
    return wrapper
