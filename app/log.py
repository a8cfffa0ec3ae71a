"""Logging: JSON lines on stderr for the app's loggers; nothing here ever formats a secret."""
import json
import logging
import sys

_HANDLER_NAME = "hepgg-json"


class JsonFormatter(logging.Formatter):
    """Request lines are already JSON; other records become {"level","logger","message"}."""

    def format(self, record):
        message = record.getMessage()
        if record.name == "hepgg.request":
            return message
        entry = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "message": message}
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def init_app(app):
    """Send the `hepgg` and Flask app loggers to stderr as JSON at LOG_LEVEL."""
    level = getattr(logging, str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    for logger in (logging.getLogger("hepgg"), app.logger):
        if not any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.set_name(_HANDLER_NAME)
            handler.setFormatter(JsonFormatter())
            logger.handlers = [h for h in logger.handlers if h.get_name() != "wsgi"] + [handler]
        logger.setLevel(level)
        logger.propagate = False
