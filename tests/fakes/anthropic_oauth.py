"""A local fake of Anthropic's OAuth usage endpoint and OAuth token endpoint (PROTOCOLS §2.3, §2.4).

Usage replies are chosen by the bearer token: `serve()` sets a token's standing reply,
`script()` queues one-off replies that come first. Unknown tokens get a 401, as upstream
answers an expired or revoked token. The token endpoint swaps refresh tokens registered
with `refreshes()`; any other refresh token gets `invalid_grant`.
"""
import threading
import time

from tests.fakes.http import FakeServer, json_response

USAGE_PATH = "/api/oauth/usage"
TOKEN_PATH = "/v1/oauth/token"

# The 2025-11 shape: percentages, ISO resets, null windows (PROTOCOLS §2.4).
FLAT_PAYLOAD = {
    "five_hour": {"utilization": 19.0, "resets_at": "2025-11-25T22:00:00.288792+00:00"},
    "seven_day": {"utilization": 7.0, "resets_at": "2025-12-01T21:00:00.288804+00:00"},
    "seven_day_oauth_apps": {"utilization": 0.0, "resets_at": None},
    "seven_day_opus": None, "seven_day_sonnet": None, "iguana_necktie": None,
    "extra_usage": {"is_enabled": False, "monthly_limit": None, "used_credits": None, "utilization": None},
}
# The 2026 shape: `limits[]`, with a per-model weekly window that appears nowhere else.
LIMITS_PAYLOAD = {
    "limits": [
        {"kind": "session", "group": "all", "percent": 33.5, "severity": "normal",
         "resets_at": "2026-11-25T22:00:00Z", "scope": None, "is_active": True},
        {"kind": "weekly_all", "group": "all", "percent": 61, "severity": "warning",
         "resets_at": "2026-11-30T00:00:00Z", "scope": None, "is_active": False},
        {"kind": "weekly_scoped", "group": "opus", "percent": 90, "severity": "critical",
         "resets_at": "2026-11-30T00:00:00Z",
         "scope": {"model": {"id": "claude-opus-4", "display_name": "Opus"}, "surface": "all"}, "is_active": False},
    ],
    "spend": {"currency": "USD", "used": 0},
}
UNAUTHORIZED = {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}}


class ConcurrencyGate:
    """Holds requests until `count` have arrived; from then on (or after the timeout) lets all through."""

    def __init__(self, count, timeout):
        self.count = count
        self.timeout = timeout
        self.arrived = 0
        self.opened = threading.Event()
        self.timed_out = False
        self._lock = threading.Lock()

    def wait(self):
        with self._lock:
            self.arrived += 1
            if self.arrived >= self.count:
                self.opened.set()
        if not self.opened.wait(self.timeout):
            self.timed_out = True

    def held_concurrent_requests(self):
        """True when `count` requests really were in flight together (nobody gave up waiting)."""
        return self.opened.is_set() and not self.timed_out


class FakeOAuthUpstream:
    """The fake; `usage_url` / `token_url` go into ANTHROPIC_OAUTH_USAGE_URL / ANTHROPIC_OAUTH_TOKEN_URL."""

    def __init__(self, *, delay=0.0):
        self.server = FakeServer()
        self.delay = delay
        self._standing = {}
        self._scripted = {}
        self._refreshes = {}
        self._lock = threading.Lock()
        self._gate = None
        self.server.route("GET", USAGE_PATH, self._usage)
        self.server.route("POST", TOKEN_PATH, self._token)
        self.usage_url = self.server.url + USAGE_PATH
        self.token_url = self.server.url + TOKEN_PATH

    def start(self):
        self.server.start()
        return self

    def stop(self):
        self.server.stop()

    def serve(self, access_token, payload, *, status=200, headers=None):
        """Answer this token with this reply from now on (after any scripted ones)."""
        with self._lock:
            self._standing[access_token] = (status, payload, headers or {})

    def script(self, access_token, *replies):
        """Queue one-off replies (status, payload[, headers]) for this token, used before the standing one."""
        with self._lock:
            queue = self._scripted.setdefault(access_token, [])
            for reply in replies:
                status, payload, *rest = reply
                queue.append((status, payload, rest[0] if rest else {}))

    def refreshes(self, refresh_token, access_token, *, new_refresh_token=None, expires_in=28800):
        """Let the token endpoint trade this refresh token for a new access token."""
        with self._lock:
            self._refreshes[refresh_token] = {"access_token": access_token, "expires_in": expires_in,
                                              "token_type": "Bearer", "scope": "user:inference user:profile",
                                              **({"refresh_token": new_refresh_token} if new_refresh_token else {})}

    def hold_until_concurrent(self, count=2, timeout=15.0):
        """Hold usage requests until `count` have arrived together; the returned gate says if they did."""
        self._gate = ConcurrencyGate(count, timeout)
        return self._gate

    def usage_requests(self, access_token=None):
        """Recorded usage requests, optionally only those carrying this bearer token."""
        return [r for r in self.server.requests if r.path.split("?")[0] == USAGE_PATH
                and (access_token is None or r.headers.get("Authorization") == f"Bearer {access_token}")]

    def token_requests(self):
        return [r for r in self.server.requests if r.path == TOKEN_PATH]

    def _usage(self, recorded):
        if self._gate is not None:
            self._gate.wait()
        if self.delay:
            time.sleep(self.delay)
        auth = recorded.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with self._lock:
            queue = self._scripted.get(token)
            reply = queue.pop(0) if queue else self._standing.get(token)
        if reply is None:
            return json_response(401, UNAUTHORIZED)
        status, payload, headers = reply
        return json_response(status, payload, headers)

    def _token(self, recorded):
        body = recorded.json() or {}
        with self._lock:
            grant = self._refreshes.pop(body.get("refresh_token"), None)
        if body.get("grant_type") != "refresh_token" or grant is None:
            return json_response(400, {"error": "invalid_grant",
                                       "error_description": "Refresh token not found or invalid"})
        return json_response(200, grant)
