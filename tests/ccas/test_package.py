"""The ccas package itself: stdlib + requests only (never Flask), --help everywhere, installable."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ccas.conftest import CCAS

PACKAGE = Path(__file__).resolve().parents[2] / "ccas"

HELP_COMMANDS = [[], ["login"], ["logout"], ["machine"], ["machine", "create"], ["machine", "list"],
                 ["machine", "rotate"], ["machine", "revoke"], ["env"], ["usage"], ["usage-token"], ["activate"]]


def imported_modules():
    for path in (PACKAGE / "src" / "ccas").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                yield from (alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                yield node.module.split(".")[0]


def test_imports_only_the_standard_library_requests_and_itself():
    foreign = {m for m in imported_modules() if m not in sys.stdlib_module_names and m not in ("requests", "ccas")}
    assert foreign == set()


def test_running_it_never_loads_flask_and_commands_without_network_skip_requests(ccas):
    ccas.config_dir.mkdir(parents=True)
    ccas.config_file.write_text('{"url": "http://h", "key": "ccas_k", "machine": '
                                '{"id": 1, "name": "m", "passthrough": false, "token": "cct_t", "base_url": "http://h/a"}}')
    code = ("import sys, ccas.cli\nccas.cli.main(['env'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'werkzeug', 'app', 'requests'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"XDG_CONFIG_HOME": str(ccas.config_home), "HOME": str(ccas.home)})
    assert result.stdout.splitlines() == ["export ANTHROPIC_BASE_URL='http://h/a'",
                                          "export ANTHROPIC_AUTH_TOKEN='cct_t'", "[]"]


def test_the_console_script_is_installed_from_its_own_pyproject():
    assert (PACKAGE / "pyproject.toml").read_text().count('ccas = "ccas.cli:main"') == 1
    assert Path(CCAS[0]).name == "ccas", "make test installs the entry point (-e ./ccas in requirements-dev.txt)"


@pytest.mark.parametrize("args", HELP_COMMANDS, ids=lambda a: " ".join(a) or "ccas")
def test_help_on_every_command(ccas, args):
    result = ccas.ok(*args, "--help")
    assert result.stdout.startswith("usage: ccas")
    if not args:
        assert "exit status:" in result.stdout and "4    the server rejected the account key" in result.stdout
    if args == ["env"]:
        assert "ANTHROPIC_AUTH_TOKEN=<the same token>" in result.stdout and "Passthrough machine" in result.stdout


def test_version(ccas):
    assert ccas.ok("--version").stdout.strip() == "ccas 0.1.0"
