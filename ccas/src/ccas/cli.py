"""The `ccas` command line: argparse wiring and the one place every error becomes a line on stderr."""
import argparse
import os
import sys

from ccas import __version__, commands
from ccas.errors import EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, CcasError
from ccas.shells import SHELLS

DESCRIPTION = """\
ccas connects this computer to a Hep.gg AI server: sign in with your account key, create a
machine (this computer's proxy token), and print the environment that points Claude Code at
the server's Anthropic proxy.

  ccas login --url https://ai.hep.gg --key ccas_...
  ccas machine create
  eval "$(ccas env)"        # then run: claude
"""

EPILOG = f"""\
The login is saved in $XDG_CONFIG_HOME/ccas/config.json (default ~/.config/ccas/), readable
only by you. CCAS_TIMEOUT sets how many seconds to wait for the server (default 30).

{EXIT_CODES_HELP}"""

ENV_HELP = """\
Print the environment variables that point Claude Code (or the anthropic SDK) at this
computer's machine. Nothing is sent to the server.

Pooled machine (the default): ANTHROPIC_BASE_URL=<server>/anthropic/<token> and
ANTHROPIC_AUTH_TOKEN=<the same token>. Claude Code then starts without a claude.ai login and
sends the token as 'Authorization: Bearer'; the proxy accepts it because it equals the token in
the URL, never forwards it, and uses the pool's Claude accounts upstream.

Passthrough machine (--passthrough at creation): only ANTHROPIC_BASE_URL, and
ANTHROPIC_AUTH_TOKEN is unset (it would override your login). Claude Code keeps your own
claude.ai login (or ANTHROPIC_API_KEY) and the proxy passes that credential through
untouched, only metering the requests.

  bash/zsh/sh:  eval "$(ccas env)"
  fish:         ccas env --shell fish | source
  PowerShell:   ccas env --shell powershell | Invoke-Expression
  JSON:         ccas env --json   (an object of the variables to set)
"""


def _positive_id(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ID must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"ID must be a positive integer, got {text!r}")
    return value


def _command(subparsers, name, func, help_text, description=None):
    parser = subparsers.add_parser(name, help=help_text, description=description or help_text,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=func)
    return parser


def build_parser():
    """The whole command tree."""
    parser = argparse.ArgumentParser(prog="ccas", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ccas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = _command(sub, "login", commands.login, "verify an account key against a server and save it",
                 "Verify the account key against the server, then save the URL and key (mode 0600).")
    p.add_argument("--url", required=True, help="the server, e.g. https://ai.hep.gg (or https://hep.gg/ai)")
    p.add_argument("--key", help="the ccas_ account key from the dashboard; '-' reads it from stdin; "
                                 "omitted: prompt for it")

    _command(sub, "logout", commands.logout, "forget the saved login and machine token",
             "Remove the saved config. The machine stays on the server: revoke it first to kill its token.")

    machine = sub.add_parser("machine", help="create, list, rotate or revoke machines",
                             description="Machines are computers with their own proxy token.")
    msub = machine.add_subparsers(dest="machine_command", metavar="ACTION", required=True)
    p = _command(msub, "create", commands.machine_create, "create a machine and make it this computer's",
                 "Create a machine (named after this computer unless --name is given); its proxy token is "
                 "saved as this computer's machine for 'ccas env'.")
    p.add_argument("--name", help="a name for the machine (default: this computer's hostname)")
    p.add_argument("--passthrough", action="store_true",
                   help="forward your own Claude login (or API key) instead of the pool's accounts")
    p = _command(msub, "list", commands.machine_list, "list machines with their usage over 30 days")
    p.add_argument("--json", action="store_true", help="print the server's JSON")
    p = _command(msub, "rotate", commands.machine_rotate, "give a machine a new proxy token",
                 "Give a machine a new proxy token; the old one stops working at once. Saved here if it is "
                 "this computer's machine, printed once otherwise.")
    p.add_argument("id", type=_positive_id, metavar="ID", help="the machine's id (see 'ccas machine list')")
    p = _command(msub, "revoke", commands.machine_revoke, "kill a machine's token for good",
                 "Revoke a machine: its token stops working for good; its usage history stays.")
    p.add_argument("id", type=_positive_id, metavar="ID", help="the machine's id (see 'ccas machine list')")

    p = _command(sub, "env", commands.env, "print the environment for Claude Code", ENV_HELP)
    p.add_argument("--shell", choices=SHELLS, default="bash", help="syntax to print (default: bash, "
                                                                   "also right for zsh and sh)")
    p.add_argument("--json", action="store_true", help="print a JSON object of the variables instead")

    p = _command(sub, "usage", commands.usage, "show the pooled accounts' usage windows",
                 "Show each pooled account's cached 5-hour and 7-day utilisation, when they reset and its "
                 "status; * marks the globally active account.")
    p.add_argument("--json", action="store_true", help="print the server's JSON")

    p = _command(sub, "usage-token", commands.usage_token, "print your usage token (usg_...)",
                 "Print your usage token for the usage API, minting it the first time.")
    p.add_argument("--rotate", action="store_true", help="replace it; the old one stops working at once")

    p = _command(sub, "activate", commands.activate, "make a pooled account the active one",
                 "Make a pooled account the globally active one (recorded with you as the actor).")
    p.add_argument("id", type=_positive_id, metavar="ID", help="the pooled account's id (see 'ccas usage')")
    return parser


def main(argv=None):
    """Run one command; every failure is one line on stderr and a documented exit status."""
    try:
        args = build_parser().parse_args(argv)
        args.func(args)
        return 0
    except CcasError as exc:
        print(f"ccas: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ccas: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ccas usage | head -1`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SystemExit as exc:  # argparse: --help/--version (0) and bad arguments (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        print(f"ccas: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
