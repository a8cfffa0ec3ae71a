"""ccas's text helpers: shell quoting that survives any value, and the table's numbers and times."""
import subprocess
from datetime import datetime, timezone

import pytest

from ccas.shells import machine_environment, render_environment
from ccas.tables import format_percent, format_table, format_until, format_usd

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
AWKWARD = "http://h/x'y\"z $HOME `id` \\ end"


def test_posix_quoting_survives_quotes_dollars_and_backticks():
    script = render_environment("bash", {"ANTHROPIC_BASE_URL": AWKWARD}, []) + '\nprintf %s "$ANTHROPIC_BASE_URL"'
    assert subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout == AWKWARD


def test_fish_and_powershell_quoting():
    assert render_environment("fish", {"V": "a'b\\c"}, []) == "set -gx V 'a\\'b\\\\c';"
    assert render_environment("powershell", {"V": "a'b"}, []) == "$env:V = 'a''b'"


def test_pooled_and_passthrough_environments():
    machine = {"base_url": "http://h/anthropic/cct_x", "token": "cct_x", "passthrough": False}
    assert machine_environment(machine) == (
        {"ANTHROPIC_BASE_URL": "http://h/anthropic/cct_x", "ANTHROPIC_AUTH_TOKEN": "cct_x"}, [])
    assert machine_environment({**machine, "passthrough": True}) == (
        {"ANTHROPIC_BASE_URL": "http://h/anthropic/cct_x"}, ["ANTHROPIC_AUTH_TOKEN"])


@pytest.mark.parametrize("resets_at,expected", [
    ("2030-01-01T12:00:30Z", "in 1m"),
    ("2030-01-01T12:45:00Z", "in 45m"),
    ("2030-01-01T15:05:00Z", "in 3h 05m"),
    ("2030-01-03T16:00:00Z", "in 2d 04h"),
    ("2030-01-01T11:59:00Z", "passed"),
    ("2030-01-01T13:00:00+01:00", "passed"),
    (None, "-"),
    ("soon", "-"),
])
def test_time_until_a_reset(resets_at, expected):
    assert format_until(resets_at, now=NOW) == expected


@pytest.mark.parametrize("value,expected", [(42, "42%"), (42.0, "42%"), (7.5, "7.5%"), (100.25, "100.2%"),
                                            (None, "-"), (True, "-"), ("42", "-")])
def test_percentages(value, expected):
    assert format_percent(value) == expected


@pytest.mark.parametrize("value,expected", [("0", "$0.00"), ("1.234567", "$1.23"), ("0.005", "<$0.01"),
                                            ("2.345", "$2.35"), (None, "-")])
def test_money(value, expected):
    assert format_usd(value) == expected


def test_tables_align_columns_without_trailing_spaces():
    assert format_table(["A", "LONGER"], [["xyz", 1], ["", ""]]) == "A    LONGER\nxyz  1\n"
