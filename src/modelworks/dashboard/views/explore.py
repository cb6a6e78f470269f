"""Exploratory data analysis of the resumes the service trains on."""

from __future__ import annotations

import io
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from modelworks.client import ApiClient, ApiError
from modelworks.dashboard import analysis
from modelworks.dashboard.components import api, show_error


@st.cache_data(ttl=300, show_spinner="loading the training resumes from the API")
def prepared(base_url: str, key: str | None) -> dict[str, Any]:
    """The prepared data set and the category names, fetched once per five minutes."""
    found: dict[str, Any] = ApiClient(base_url, key).get("/api/dataset")
    return found


def uploaded_rows(raw: bytes, categories: list[str]) -> list[dict[str, object]]:
    """A ``resume,label`` CSV chosen in the browser (labels index ``categories``)."""
    table = pd.read_csv(io.BytesIO(raw))
    if not {"resume", "label"} <= set(table.columns):
        raise ValueError("the CSV needs the columns resume and label")
    table = table[table["label"].between(0, len(categories) - 1)]
    return [{"resume": str(text), "label": int(label), "category": categories[int(label)]}
            for text, label in zip(table["resume"], table["label"], strict=True)]


st.title("Explore the training resumes")
upload = st.file_uploader("Explore another CSV (resume,label) instead of the prepared data",
                          type=["csv"])
try:
    client = api()
    dataset = prepared(client.base_url, client.key)
    rows = (uploaded_rows(upload.getvalue(), dataset["categories"]) if upload is not None
            else dataset["rows"])
except ApiError as error:
    show_error(error)
    st.stop()
except (ValueError, pd.errors.ParserError) as error:
    st.error(f"cannot read that CSV: {error}")
    st.stop()

data = analysis.frame(rows)
st.metric("Resumes", len(data))

st.header("Class balance")
balance = analysis.class_balance(data)
st.bar_chart(balance["resumes"], horizontal=True)
st.dataframe(balance)

st.header("Length per category")
st.altair_chart(alt.Chart(data[["category", "words"]]).mark_boxplot().encode(
    x=alt.X("words:Q", title="words per resume"), y=alt.Y("category:N", title=None)),
    width="stretch")
st.dataframe(analysis.length_statistics(data))

st.header("Top terms per category")
st.caption("Words that appear in a category's resumes far more often than in the others'.")
st.dataframe(analysis.top_terms(data), width="stretch")

st.header("Sample browser")
category = st.selectbox("Category", sorted(data["category"].unique()))
chosen = data[data["category"] == category].reset_index(drop=True)
index = st.number_input(f"Resume (1-{len(chosen)})", min_value=1, max_value=len(chosen), value=1)
st.text(chosen.loc[int(index) - 1, "resume"])
