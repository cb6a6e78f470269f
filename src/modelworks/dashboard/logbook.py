"""The prediction log as a table a person reads: time, version and the answer first.

Every service logs its own input and output shapes; the answer is flattened by shape (a
record's fields become columns, ranked lists give their best entry) and the input becomes a
short preview. Request and record ids go last.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from modelworks.client.console import LoggedPrediction

PREVIEW_CHARS = 90
TAIL = ("input", "latency ms", "request id", "id")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def answer_columns(output: Any) -> dict[str, Any]:
    """An output as a few columns: a record's fields, or a ranking's best entry and length."""
    if isinstance(output, dict):
        return {k: v for k, v in output.items() if not isinstance(v, dict | list)}
    if not isinstance(output, list) or not output:
        return {"answer": output}
    first = output[0]
    if isinstance(first, dict):
        best = {f"best {k}": v for k, v in first.items() if not isinstance(v, dict | list)}
        return {**best, "results": len(output)}
    if isinstance(first, list | tuple) and len(first) == 2 and _number(first[1]):
        return {"best": first[0], "best score": first[1], "results": len(output)}
    return {"answer": ", ".join(str(item) for item in output[:5])
            + (" ..." if len(output) > 5 else ""), "results": len(output)}


def preview(value: Any) -> str:
    """An input in one short line."""
    if isinstance(value, dict):
        text = "; ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…"


def table(predictions: list[LoggedPrediction]) -> pd.DataFrame:
    """The log's records, newest first as given, the useful columns first."""
    rows = []
    for record in predictions:
        rows.append({"time": record.created_at[:19].replace("T", " "),
                     "version": record.model_version,
                     **answer_columns(record.output),
                     "input": preview(record.input),
                     "latency ms": round(record.latency_ms, 1),
                     "request id": record.request_id, "id": record.id})
    frame = pd.DataFrame(rows)
    # A service's outputs may differ in shape between records: keep the ids last regardless.
    tail = [c for c in TAIL if c in frame.columns]
    return frame[[c for c in frame.columns if c not in tail] + tail]
