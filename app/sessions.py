"""Flask's cookie session, free for the APIs that never use it.

The proxy, OpenAI, usage, CLI, skills and health endpoints authenticate with tokens, not the
session. A request that sends no session cookie gets an empty session without building the
cookie signer, and on those endpoints an empty, unmodified session writes nothing: no cookie
and no `Vary: Cookie` (flask-login's after-request hook looks into every session). The
dashboard (pages, its JSON API, CSRF) keeps Flask's behaviour exactly.
"""
from flask import request
from flask.sessions import SecureCookieSessionInterface

SESSIONLESS_BLUEPRINTS = frozenset({"proxy", "openai_api", "usage_api", "cli_api", "skills", "health"})


class LeanSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request_):
        if self.get_cookie_name(app) not in request_.cookies:
            return self.session_class()
        return super().open_session(app, request_)

    def save_session(self, app, session, response):
        if (not session and not session.modified and request.blueprint in SESSIONLESS_BLUEPRINTS
                and self.get_cookie_name(app) not in request.cookies):
            return
        super().save_session(app, session, response)
