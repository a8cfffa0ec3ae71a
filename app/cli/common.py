"""Shared helpers for the admin commands: clear errors, money options, secrets from stdin."""
import functools
import sys

import click

from app.services.errors import ServiceError
from app.services.money import parse_micro
from app.services.timestamps import parse_timestamp


def fails_clearly(func):
    """Turn domain and value errors into `Error: message` on stderr and exit status 1."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper


def usd_option_to_micro(value, option):
    """Parse a --*-usd option into micro-dollars (None stays None)."""
    if value is None:
        return None
    return parse_micro(value, what=option)


def on_off(value):
    """'on'/'off' (as click.Choice gives them) as a bool, None when not given."""
    return None if value is None else value == "on"


def secret_argument(value, option):
    """A secret given on the command line, or read from stdin when given as '-'."""
    if value != "-":
        return value
    line = sys.stdin.readline().strip()
    if not line:
        raise click.ClickException(f"{option} '-' expects the value on standard input")
    return line


def parse_expiry(value):
    """--oauth-expires-at: ISO 8601 (or epoch seconds) to naive UTC."""
    if value is None:
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        raise click.ClickException(f"--oauth-expires-at must be an ISO 8601 timestamp, got {value!r}")
    return parsed
