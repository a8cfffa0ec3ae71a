"""Recording every secret the suite mints, and scanning what a test saw for any of them.

`record_minted_secrets()` wraps `app.services.secrets.MintedSecret` (which `mint_secret`
builds every token through, whichever service calls it), so every plaintext token minted in
this process is remembered. `LeakScan` then captures, for one test, every log record (the
app's JSON request log included, at DEBUG), everything written to stdout/stderr, and every
response the app sends (status, headers, body), and reports each minted secret found where
it must not be:

- in any log record or captured output, ever;
- in any response other than the one whose request minted it, except a 2xx answer from
  an endpoint whose job is to show its owner an existing secret (REVEAL_ENDPOINTS).
"""
import contextlib
import logging
from dataclasses import dataclass, field

from werkzeug.exceptions import HTTPException

from app.log import JsonFormatter
from app.services.credentials import secrets as secrets_module

# Endpoints that show their caller a secret the caller already owns (SPEC §2, §7, §8): the usage
# token and skills key "reveal" actions, the CLI's usage-token show/mint, and the skills
# registry's answers to a capability URL (which carry that URL).
REVEAL_ENDPOINTS = frozenset({
    "dashboard.api.usage_token_action", "dashboard.pages.usage_token_action",
    "dashboard.api.skills_access_key_action", "dashboard.pages.reveal_skills_key",
    "cli_api.show_usage_token", "cli_api.mint_usage_token",
    "skills.private_index", "skills.private_skill", "skills.import_skill",
})
LOGGERS = ("", "hepgg", "werkzeug", "gunicorn", "flask")
# SQLAlchemy's DEBUG output (pool checkouts, result rows) is noise that only digests could be in.
QUIET = ("sqlalchemy",)


@contextlib.contextmanager
def record_minted_secrets():
    """Yield a list that every secret minted inside the block is appended to (plaintext)."""
    minted = []
    real = secrets_module.MintedSecret

    def recording(token, digest, display_prefix):
        minted.append(token)
        return real(token=token, digest=digest, display_prefix=display_prefix)

    secrets_module.MintedSecret = recording
    try:
        yield minted
    finally:
        secrets_module.MintedSecret = real


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []
        self.own_clients = []  # base URLs of servers the test itself calls
        self.setFormatter(JsonFormatter())

    def emit(self, record):
        # The test's own HTTP client logs the URLs it asks for (tokens included): that is the
        # caller's side, not the app's.
        if record.name.startswith("urllib3") and any(record.getMessage().startswith(url) for url in self.own_clients):
            return
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a record that cannot be formatted is a finding of its own
            self.lines.append(f"<unformattable record {record.name}: {exc!r}>")


@dataclass
class Seen:
    """One response the app sent: where it came from and everything it carried."""

    method: str
    path: str
    endpoint: str | None
    status: int
    text: str
    allowed: set = field(default_factory=set)


class LeakScan:
    """Captures logs, output and responses for one test; `findings()` lists every leak."""

    def __init__(self, app, minted, capsys):
        self.app = app
        self.minted = minted
        self.capsys = capsys
        self.external = []  # (label, text) pairs added by the test, e.g. a gunicorn log
        self.watched = []  # secrets not minted here that must never show either (pooled credentials)
        self.responses = []
        self._start = len(minted)
        self._collector = _Collector()
        self._saved_levels = {}
        self._saved_wsgi = None

    # -- capture -------------------------------------------------------------------------
    def start(self):
        for name in LOGGERS:
            logger = logging.getLogger(name)
            self._saved_levels[name] = logger.level
            logger.setLevel(logging.DEBUG)
            logger.addHandler(self._collector)
        for name in QUIET:
            self._saved_levels[name] = logging.getLogger(name).level
            logging.getLogger(name).setLevel(logging.WARNING)
        self._saved_levels[self.app.logger.name] = self.app.logger.level
        self.app.logger.setLevel(logging.DEBUG)
        self.app.logger.addHandler(self._collector)
        self._saved_wsgi = self.app.wsgi_app
        self.app.wsgi_app = self._recording(self._saved_wsgi)
        return self

    def stop(self):
        self.app.wsgi_app = self._saved_wsgi
        for name, level in self._saved_levels.items():
            logger = logging.getLogger(name) if name != self.app.logger.name else self.app.logger
            logger.removeHandler(self._collector)
            logger.setLevel(level)

    def _endpoint(self, environ):
        try:
            endpoint, _args = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        return endpoint

    def _recording(self, inner):
        def wsgi(environ, start_response):
            before = len(self.minted)
            seen = Seen(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), self._endpoint(environ),
                        0, "")
            parts = []

            def recording_start(status, headers, exc_info=None):
                seen.status = int(status.split(" ", 1)[0])
                parts.append(status + "\n" + "\n".join(f"{k}: {v}" for k, v in headers))
                return start_response(status, headers, exc_info)

            body = inner(environ, recording_start)
            try:
                for chunk in body:
                    parts.append(chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else str(chunk))
                    yield chunk
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
                seen.text = "\n".join(parts)
                seen.allowed = set(self.minted[before:])
                self.responses.append(seen)
        return wsgi

    # -- findings ------------------------------------------------------------------------
    def add_text(self, label, text):
        """Scan some other output too (a server's log file, a CLI's output)."""
        self.external.append((label, text))

    def calls(self, url):
        """The test's own client calls the server at `url`: its urllib3 log lines are not the app's."""
        self._collector.own_clients.append(url)

    def watch(self, secret):
        """Also look for a secret this process did not mint (a pooled credential, a password)."""
        self.watched.append(secret)

    def secrets(self):
        return list(self.minted[self._start:]) + self.watched

    def findings(self):
        """(where, secret prefix) for every minted secret found where it must not be."""
        out, err = self.capsys.readouterr()
        texts = [("log", "\n".join(self._collector.lines)), ("stdout", out), ("stderr", err), *self.external]
        found = []
        for secret in self.secrets():
            label = secret[:12]
            for where, text in texts:
                if secret in text:
                    found.append((where, label))
            for seen in self.responses:
                if secret not in seen.text or secret in seen.allowed:
                    continue
                if seen.status < 300 and seen.endpoint in REVEAL_ENDPOINTS:
                    continue
                found.append((f"response {seen.status} to {seen.method} {seen.endpoint or seen.path}", label))
        return found
