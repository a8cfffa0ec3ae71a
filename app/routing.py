"""URL converters shared by every blueprint."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2_147_483_647


class IdConverter(IntegerConverter):
    """A row id in a URL: a non-negative integer that fits every database's INTEGER.

    Larger numbers (which SQLite cannot even bind) simply do not match, so they are a 404
    like any other unknown id, without a database query.
    """

    def __init__(self, url_map):
        super().__init__(url_map, max=MAX_ID)


def init_app(app):
    """Register `<id:...>` on the app's URL map (before blueprints add their rules)."""
    app.url_map.converters["id"] = IdConverter
