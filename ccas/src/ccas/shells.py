"""The environment Claude Code needs for a machine, and how each shell sets it.

Pooled machine: ANTHROPIC_BASE_URL=<base>/anthropic/<token> and ANTHROPIC_AUTH_TOKEN=<the same
token>. Claude Code then sends `Authorization: Bearer <token>` instead of needing a claude.ai
login; the proxy accepts a bearer equal to the URL token, never forwards it, and uses the
pool's credentials upstream.

Passthrough machine: only ANTHROPIC_BASE_URL. Claude Code keeps the user's own claude.ai
login (or ANTHROPIC_API_KEY) and the proxy passes that credential through; a leftover
ANTHROPIC_AUTH_TOKEN would override the login, so it is unset.
"""
import json

SHELLS = ("bash", "fish", "powershell")


def machine_environment(machine):
    """(variables to set, variables to unset) for a saved machine."""
    variables = {"ANTHROPIC_BASE_URL": machine["base_url"]}
    if machine.get("passthrough"):
        return variables, ["ANTHROPIC_AUTH_TOKEN"]
    variables["ANTHROPIC_AUTH_TOKEN"] = machine["token"]
    return variables, []


def _posix_quote(value):
    return "'" + value.replace("'", "'\\''") + "'"


def _fish_quote(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(value):
    return "'" + value.replace("'", "''") + "'"


def render_environment(shell, variables, unset):
    """Lines that set (and unset) the variables in `shell`: eval/source/Invoke-Expression them."""
    lines = []
    for name, value in variables.items():
        if shell == "fish":
            lines.append(f"set -gx {name} {_fish_quote(value)};")
        elif shell == "powershell":
            lines.append(f"$env:{name} = {_powershell_quote(value)}")
        else:
            lines.append(f"export {name}={_posix_quote(value)}")
    for name in unset:
        if shell == "fish":
            lines.append(f"set -e {name};")
        elif shell == "powershell":
            lines.append(f"Remove-Item Env:{name} -ErrorAction SilentlyContinue")
        else:
            lines.append(f"unset {name}")
    return "\n".join(lines)


def render_environment_json(variables):
    """The variables to set as one JSON object (what `anthropic.Anthropic(...)` or a process env takes)."""
    return json.dumps(variables, indent=2, sort_keys=True)
