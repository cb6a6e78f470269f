"""Logs: readable lines in a terminal, JSON objects for collectors; each carries its request id."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

from modelworks.sdk.requests import current_request_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as JSON."""
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id.get(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


class TextFormatter(logging.Formatter):
    """One readable line: time, level, message, then the extras as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` for a person at a terminal."""
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        rid = current_request_id.get()
        if rid != "-":
            extras["request_id"] = rid
        line = f"{clock} {record.levelname:<7} {record.getMessage()}"
        if extras:
            line += "  " + " ".join(f"{key}={value}" for key, value in extras.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter ``MODELWORKS_LOG_FORMAT`` asks for (``auto``: text on a terminal)."""
    if log_format == "text" or (log_format == "auto" and sys.stderr.isatty()):
        return TextFormatter()
    return JsonFormatter()


def configure_logging(level: str, log_format: str = "auto") -> None:
    """Send every modelworks and uvicorn log line to stderr, as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs each request
