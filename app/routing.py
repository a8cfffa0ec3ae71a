"""URL converters shared by every blueprint."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2_147_483_647


def _at_most(limit):
    """A regex matching exactly the decimal numbers 0..limit (no sign; leading zeros within the length)."""
    digits = str(limit)
    shorter = f"[0-9]{{1,{len(digits) - 1}}}" if len(digits) > 1 else None
    branches = [shorter] if shorter else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            branches.append(f"{digits[:i]}[0-{int(digit) - 1}]{tail}")
    branches.append(digits)
    return "(?:" + "|".join(branches) + ")"


class IdConverter(IntegerConverter):
    """A row id in a URL: a non-negative integer that fits every database's INTEGER.

    Larger numbers (which SQLite cannot even bind) do not match the rule's pattern, so they
    are a 404 like any other unknown id, without a database query, whatever the method (a
    range check after matching would make werkzeug answer 405 for the route's other methods).
    """

    regex = _at_most(MAX_ID)

    def __init__(self, url_map):
        super().__init__(url_map, max=MAX_ID)


def init_app(app):
    """Register `<id:...>` on the app's URL map (before blueprints add their rules)."""
    app.url_map.converters["id"] = IdConverter
