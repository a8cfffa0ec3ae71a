"""Run the real `ccas` entry point in a subprocess, its config under a temporary XDG_CONFIG_HOME."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.extensions import db

_BIN = Path(sys.executable).parent / "ccas"
# The console script `make test` installs (pip install -e ./ccas); `python -m ccas` otherwise.
CCAS = [str(_BIN)] if _BIN.exists() else [sys.executable, "-m", "ccas"]


class Ccas:
    """One user's computer: a home directory and the ccas command."""

    def __init__(self, home):
        self.home = home
        self.config_home = home / "xdg-config"
        self.config_dir = self.config_home / "ccas"
        self.config_file = self.config_dir / "config.json"

    def run(self, *args, input=None, env=None, timeout=60):
        """Run `ccas ARGS...`; never a traceback, whatever happens."""
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith(("CCAS_", "ANTHROPIC_")) and k.lower() not in (
                       "http_proxy", "https_proxy", "all_proxy")}
        environ.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.config_home), NO_PROXY="*")
        environ.update(env or {})
        db.session.rollback()  # the server may read rows this test wrote; end our snapshot either way
        result = subprocess.run(CCAS + [str(a) for a in args], input=input, capture_output=True, text=True,
                                env=environ, timeout=timeout)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        db.session.rollback()  # see what the command changed
        return result

    def ok(self, *args, **kwargs):
        """Run a command that must succeed."""
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
        return result

    def fails(self, exit_code, message, *args, **kwargs):
        """Run a command that must fail with one clear line on stderr and the given exit status."""
        result = self.run(*args, **kwargs)
        assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("ccas: error: "), lines[0]
        assert message in lines[0], lines[0]
        assert result.stdout == ""
        return lines[0]

    @property
    def config(self):
        return json.loads(self.config_file.read_text())

    def write_config(self, data):
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.config_file.write_text(json.dumps(data))


@pytest.fixture
def ccas(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Ccas(home)


@pytest.fixture
def ada(factories):
    return factories.user("ada@example.com")


@pytest.fixture
def logged_in(ccas, ada, live_server):
    """ccas logged in to the live server as ada."""
    ccas.ok("login", "--url", live_server.url, "--key", ada.account_key)
    return ccas
