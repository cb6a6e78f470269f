"""Log lines: readable in a terminal, JSON for collectors, each with its request id."""

from __future__ import annotations

import logging

import orjson
import pytest

from modelworks.sdk.requests import current_request_id
from modelworks.server.logs import JsonFormatter, TextFormatter, formatter_for


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "modelworks.access", "levelname": "INFO",
                                    "levelno": logging.INFO, "msg": "request %s",
                                    "args": ("done",)})
    record.__dict__.update(extra)
    return record


def test_text_lines_read_as_a_sentence_with_their_extras() -> None:
    token = current_request_id.set("abc123")
    try:
        line = TextFormatter().format(_record(status=200, route="/api/inference"))
    finally:
        current_request_id.reset(token)
    assert "INFO" in line
    assert "request done" in line
    assert "status=200" in line
    assert "route=/api/inference" in line
    assert "request_id=abc123" in line
    assert not line.lstrip().startswith("{")


def test_json_lines_parse_and_keep_every_field() -> None:
    payload = orjson.loads(JsonFormatter().format(_record(status=404)))
    assert payload["message"] == "request done"
    assert payload["status"] == 404
    assert payload["level"] == "INFO"


def test_the_format_follows_the_setting_and_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(formatter_for("json"), JsonFormatter)
    assert isinstance(formatter_for("text"), TextFormatter)
    # Under pytest stderr is captured, not a terminal: auto means JSON for a collector.
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert isinstance(formatter_for("auto"), JsonFormatter)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert isinstance(formatter_for("auto"), TextFormatter)
