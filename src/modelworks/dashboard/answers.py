"""A prediction answer drawn the way it reads best, whatever service gave it.

The shapes are found in the answer itself, not looked up by service: a mapping of names to
numbers (category or genre probabilities, title scores), a list of records with a label and a
probability (interests), queries each with scored results (similarity). Each becomes a bar
chart; what is left is shown as a table or as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from modelworks.dashboard.charts import bars_height, ranked_bars

NAME_KEYS = ("label", "name", "title", "category", "genre", "product_description", "id")
SCORE_KEYS = ("probability", "score", "similarity")


@dataclass(frozen=True)
class ScoreSet:
    """Names and their scores, drawn as one bar chart."""

    title: str
    frame: pd.DataFrame
    """Columns ``name`` and ``measure`` (and whatever else a record held, for the tooltip)."""
    measure: str


def _numeric_mapping(value: Any) -> bool:
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(v, int | float) and not isinstance(v, bool)
                    for v in value.values()))


def _scored_records(value: Any) -> tuple[str, str] | None:
    """The name and score keys of a list of records such as ``{label, probability}``."""
    if not (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        return None
    keys = set(value[0])
    name = next((k for k in NAME_KEYS if k in keys), None)
    score = next((k for k in SCORE_KEYS if k in keys), None)
    return (name, score) if name and score else None


def _from_mapping(title: str, mapping: dict[str, float], measure: str) -> ScoreSet:
    frame = pd.DataFrame({"name": list(mapping), measure: list(mapping.values())})
    return ScoreSet(title, frame, measure)


def _from_records(title: str, records: list[dict[str, Any]], name: str,
                  score: str) -> ScoreSet:
    frame = pd.DataFrame(records).rename(columns={name: "name"})
    return ScoreSet(title, frame, score)


def score_sets(answer: Any, title: str = "") -> list[ScoreSet]:
    """Every set of scored names in ``answer``, in the order the answer gives them."""
    found: list[ScoreSet] = []
    if isinstance(answer, list):
        keys = _scored_records(answer)
        if keys:
            return [_from_records(title, answer, *keys)]
        for item in answer:
            found += score_sets(item, title)
        return found
    if not isinstance(answer, dict):
        return found
    if "query" in answer and _scored_records(answer.get("results")):
        name, score = _scored_records(answer["results"]) or ("", "")
        return [_from_records(str(answer["query"]), answer["results"], name, score)]
    for key, value in answer.items():
        label = f"{title} · {key}" if title else str(key)
        if _numeric_mapping(value):
            measure = "probability" if "probab" in key else "score"
            found.append(_from_mapping(label, value, measure))
        elif (records := _scored_records(value)) is not None:
            found.append(_from_records(label, value, *records))
        elif isinstance(value, dict | list):
            # A list of query results is titled by each query, not by its key.
            found += score_sets(value, title if key == "results" else label)
    return found


def headline(answer: Any) -> dict[str, Any]:
    """The answer's plain values (category, name, type...) worth a line above the charts."""
    if isinstance(answer, bool | int | float | str):
        return {"answer": answer}
    if not isinstance(answer, dict):
        return {}
    return {k: v for k, v in answer.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool)}


def draw(answer: Any) -> None:
    """``answer`` as a headline, bar charts where it holds scores, else a table or JSON."""
    plain = headline(answer)
    if plain:
        columns = st.columns(min(len(plain), 4))
        for column, (name, value) in zip(columns * 4, plain.items(), strict=False):
            shown = f"{value:.1%}" if name == "probability" and isinstance(value, float) \
                else str(value)
            column.metric(name, shown)
    sets = score_sets(answer)
    for found in sets:
        unit = bool(found.frame[found.measure].between(0, 1).all())
        st.altair_chart(ranked_bars(found.frame, "name", found.measure, found.title,
                                    unit_range=unit), width="stretch",
                        height=bars_height(len(found.frame)))
    if sets or (plain and not isinstance(answer, dict | list)):
        return
    if isinstance(answer, list) and all(not isinstance(x, dict | list) for x in answer):
        st.dataframe(pd.DataFrame({"answer": answer}), hide_index=False)
    elif plain and isinstance(answer, dict) and len(plain) == len(answer):
        return
    else:
        st.json(answer)
