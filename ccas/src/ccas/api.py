"""The ccas side of the CLI API (/api/v1/ai/cli/...): one call, one parsed JSON answer or a CcasError."""
import os
from urllib.parse import urlsplit

import requests

from ccas import __version__
from ccas.errors import AuthFailed, Refused, Unreachable, UsageError

API_PREFIX = "/api/v1/ai/cli"
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0


def normalize_url(url):
    """The server's base URL without a trailing slash; UsageError unless it is http(s)://host[/path]."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url must look like https://ai.hep.gg, got {url!r}")
    if parts.query or parts.fragment:
        raise UsageError(f"--url must not carry a query or fragment, got {url!r}")
    return url


def timeout_seconds():
    """CCAS_TIMEOUT (seconds to wait for the server), default 30."""
    raw = os.environ.get("CCAS_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not value > 0:
        raise UsageError(f"CCAS_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return value


def _connection_reason(exc):
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    for needle, reason in (("refused", "connection refused"), ("Name or service not known", "host not found"),
                           ("nodename nor servname", "host not found"), ("getaddrinfo", "host not found"),
                           ("unreachable", "network unreachable"), ("reset by peer", "connection reset"),
                           ("RemoteDisconnected", "the server closed the connection")):
        if needle in text:
            return reason
    return "connection failed"


def _error_message(response):
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return None


class Client:
    """Calls the CLI API of one server with one account key."""

    def __init__(self, url, key):
        self.url = normalize_url(url)
        self.key = key
        self.timeout = timeout_seconds()
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}", "Accept": "application/json",
                                     "User-Agent": f"ccas/{__version__}"})

    def get(self, path):
        """GET an API path; the parsed JSON body."""
        return self._request("GET", path)

    def post(self, path, body=None):
        """POST a JSON body to an API path; the parsed JSON body."""
        return self._request("POST", path, {} if body is None else body)

    def _request(self, method, path, body=None):
        url = self.url + API_PREFIX + path
        try:
            response = self.session.request(method, url, json=body, allow_redirects=False,
                                            timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout))
        except requests.exceptions.Timeout:
            raise Unreachable(f"{self.url} did not answer within {self.timeout:g}s "
                              f"(set CCAS_TIMEOUT to wait longer)") from None
        except requests.exceptions.ConnectionError as exc:
            raise Unreachable(f"could not reach {self.url}: {_connection_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise Unreachable(f"could not talk to {self.url}: {type(exc).__name__}") from None
        return self._answer(response)

    def _answer(self, response):
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "elsewhere")
            raise Unreachable(f"{self.url} redirects to {location}; log in with the server's real URL")
        message = _error_message(response) if status >= 400 else None
        if status == 401:
            raise AuthFailed(f"the server rejected the account key ({message or 'HTTP 401'}); "
                             "log in again with 'ccas login --url URL --key KEY'")
        if status >= 400:
            if message is None:
                raise Unreachable(f"unexpected HTTP {status} from {self.url}: is it a Hep.gg AI server?")
            raise Refused(message if status < 500 else f"server error (HTTP {status}): {message}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Unreachable(f"unexpected answer from {self.url} (not a JSON object): "
                              "is it a Hep.gg AI server?")
        return body
