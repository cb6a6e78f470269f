"""Classify a sample or pasted resume, then read the prediction history from the database."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard.components import api, settings, show_error
from modelworks.dashboard.samples import folder_samples, generated_samples
from modelworks.services.resumes.vocabulary import CATEGORIES

PASTE = "paste my own text"


@st.cache_data
def samples(folder: str | None) -> dict[str, str]:
    """Generated samples and any from the configured folder."""
    from pathlib import Path

    return {**folder_samples(Path(folder) if folder else None), **generated_samples()}


st.title("Which job is this resume for?")
folder = settings().samples_dir
offered = samples(str(folder) if folder else None)
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
category = st.selectbox("Only category", ["all", *CATEGORIES])
try:
    page = api().get("/api/predictions", limit=50,
                     category=None if category == "all" else category)
except ApiError as error:
    show_error(error)
else:
    st.caption(f"{page['total']} stored predictions; newest 50 shown")
    if page["items"]:
        st.dataframe(pd.DataFrame(page["items"]).set_index("prediction_id"))
