"""The saved login: `$XDG_CONFIG_HOME/ccas/config.json` (default ~/.config/ccas), mode 0600 in a 0700 directory.

It holds the server URL, the account key, who it belongs to, and the current machine
(id, name, passthrough flag, proxy token, base URL) once one is created.
"""
import json
import os
import tempfile
from pathlib import Path

from ccas.errors import NotConfigured

FILE_NAME = "config.json"
LOGIN_HINT = "run 'ccas login --url URL --key KEY' first"


def config_dir():
    """The ccas config directory; XDG_CONFIG_HOME is honoured only when absolute (XDG spec)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ccas"


def config_path():
    """The config file's path."""
    return config_dir() / FILE_NAME


def read_config():
    """The saved config as a dict, or None when there is none; NotConfigured when unreadable."""
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NotConfigured(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise NotConfigured(f"{path} is not valid JSON; {LOGIN_HINT} again") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) or not isinstance(data.get("key"), str):
        raise NotConfigured(f"{path} is incomplete; {LOGIN_HINT} again")
    return data


def require_login():
    """The saved config; NotConfigured when nobody is logged in."""
    data = read_config()
    if data is None:
        raise NotConfigured(f"not logged in: {LOGIN_HINT}")
    return data


def write_config(data):
    """Save the config atomically, readable by its owner only (file 0600, directory 0700)."""
    directory = config_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=directory)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, directory / FILE_NAME)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return directory / FILE_NAME


def delete_config():
    """Forget the login; True when there was one."""
    try:
        config_path().unlink()
        return True
    except FileNotFoundError:
        return False
