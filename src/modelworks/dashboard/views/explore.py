"""Exploratory data analysis of the resumes the service trains on."""

from __future__ import annotations

import io
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard import analysis, charts, session


def prepared() -> dict[str, Any]:
    """The prepared data set and the category names, kept five minutes in the session."""
    api = session.client()
    with st.spinner("loading the training resumes from the API"):
        found: dict[str, Any] = session.remembered(
            "resumes-dataset", 300, lambda: api.request("GET", "/api/dataset"))
    return found


def uploaded_rows(raw: bytes, categories: list[str]) -> list[dict[str, object]]:
    """A ``resume,label`` CSV chosen in the browser (labels index ``categories``)."""
    table = pd.read_csv(io.BytesIO(raw))
    if not {"resume", "label"} <= set(table.columns):
        raise ValueError("the CSV needs the columns resume and label")
    table = table[table["label"].between(0, len(categories) - 1)]
    return [{"resume": str(text), "label": int(label), "category": categories[int(label)]}
            for text, label in zip(table["resume"], table["label"], strict=True)]


def render() -> None:
    """The page."""
    st.title("Explore the training resumes")
    upload = st.file_uploader("Explore another CSV (resume,label) instead of the prepared data",
                              type=["csv"])
    try:
        dataset = prepared()
        rows = (uploaded_rows(upload.getvalue(), dataset["categories"]) if upload is not None
                else dataset["rows"])
    except ApiError as error:
        st.error(error.message)
        st.stop()
    except (ValueError, pd.errors.ParserError) as error:
        st.error(f"cannot read that CSV: {error}")
        st.stop()

    data = analysis.frame(rows)
    st.metric("Resumes", len(data))

    st.header("Class balance")
    balance = analysis.class_balance(data)
    counts = balance.reset_index()
    st.altair_chart(charts.ranked_bars(counts, "category", "resumes", unit_range=False),
                    width="stretch", height=charts.bars_height(len(counts)))
    st.dataframe(balance)

    st.header("Length per category")
    st.altair_chart(charts.readable(alt.Chart(data[["category", "words"]]).mark_boxplot().encode(
        x=alt.X("words:Q", title="words per resume"), y=alt.Y("category:N", title=None))),
        width="stretch")
    st.dataframe(analysis.length_statistics(data))

    st.header("Top terms per category")
    st.caption("Words that appear in a category's resumes far more often than in the others'.")
    st.dataframe(analysis.top_terms(data), width="stretch")

    st.header("Sample browser")
    category = st.selectbox("Category", sorted(data["category"].unique()))
    chosen = data[data["category"] == category].reset_index(drop=True)
    index = st.number_input(f"Resume (1-{len(chosen)})", min_value=1, max_value=len(chosen),
                            value=1)
    st.text(chosen.loc[int(index) - 1, "resume"])
