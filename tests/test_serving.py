"""The Procfile's commands, run for real: release migrates, web serves under gunicorn + gevent."""
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import requests

from tests.servers import REPO_ROOT, procfile_command


def test_release_migrates_a_fresh_database(tmp_path):
    database = tmp_path / "release.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "s" * 32,
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    result = subprocess.run(procfile_command("release"), cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    tables = {row[0] for row in sqlite3.connect(database).execute("SELECT name FROM sqlite_master")}
    assert {"users", "machines", "claude_requests", "alembic_version"} <= tables


def test_web_serves_under_gunicorn_with_gevent_and_logs_json(gunicorn_server, factories):
    user = factories.user()
    machine = factories.machine(user)
    server = gunicorn_server()
    assert requests.get(server.url + "/healthz", timeout=5).json() == {"status": "ok", "database": "ok"}
    assert requests.get(server.url + "/ai/healthz", timeout=5).status_code == 200
    requests.get(f"{server.url}/anthropic/{machine.token}/v1/models", timeout=5)
    server.stop()
    log = server.log_text()
    assert "gevent" in log.lower()
    request_lines = [json.loads(line) for line in log.splitlines()
                     if line.startswith("{") and '"request_id"' in line]
    assert [entry["path"] for entry in request_lines][-2:] == ["/ai/healthz", "/anthropic/[redacted]/v1/models"]
    assert machine.token not in log
