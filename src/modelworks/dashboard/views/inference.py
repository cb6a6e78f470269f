"""Classify a sample or pasted resume, then read the prediction history from the database."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modelworks.client import ApiClient, ApiError
from modelworks.dashboard.components import api, show_error
from modelworks.dashboard.schema import document, query_enum

PASTE = "paste my own text"


@st.cache_data(show_spinner=False)
def samples(base_url: str, key: str | None) -> dict[str, str]:
    """The resumes the API offers to try (its samples folder's, then generated ones)."""
    offered: dict[str, str] = ApiClient(base_url, key).get("/api/samples")["samples"]
    return offered


st.title("Which job is this resume for?")
client = api()
try:
    offered = samples(client.base_url, client.key)
    categories = query_enum(document(client.base_url, client.key), "/api/predictions", "get",
                            "category")
except ApiError as error:
    show_error(error)
    st.stop()
choice = st.selectbox("Resume", [*offered, PASTE])
text = st.text_area("Text", value="" if choice == PASTE else offered[choice], height=260)

if st.button("Classify", type="primary"):
    try:
        answer = api().post("/api/inference", json={"text": text}, params={"detail": "true"})
    except ApiError as error:
        show_error(error)
    else:
        st.metric("Category", answer["category"], f"{answer['probability']:.1%} probable",
                  delta_color="off")
        st.caption(f"label {answer['label']} · prediction {answer['prediction_id']} · "
                   f"model version {answer['model_version']}")
        probabilities = pd.Series(answer["probabilities"], name="probability").sort_values()
        st.bar_chart(probabilities, horizontal=True)

st.header("Prediction history")
category = st.selectbox("Only category", ["all", *categories])
try:
    page = api().get("/api/predictions", limit=50,
                     category=None if category == "all" else category)
except ApiError as error:
    show_error(error)
else:
    st.caption(f"{page['total']} stored predictions; newest 50 shown")
    if page["items"]:
        st.dataframe(pd.DataFrame(page["items"]).set_index("prediction_id"))
