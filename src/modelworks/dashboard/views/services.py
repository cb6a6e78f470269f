"""The other services: their live model and metrics, and a request to try on each."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard.components import api, show_error
from modelworks.services.movies.data import OCCUPATIONS


def try_genres() -> None:
    """Rank genres for one synopsis."""
    synopsis = st.text_area("Synopsis", "A retired detective is pulled back for one last case "
                                        "when a killer starts copying his old murders.")
    if st.button("Rank genres", key="genres-go"):
        csv = "movie_id,synopsis\n1," + '"' + synopsis.replace('"', '""') + '"\n'
        answer = api().post("/genres/predict", files={"file": ("movies.csv", csv, "text/csv")},
                            params={"include_scores": "true"})
        st.dataframe(pd.Series(answer["1"]["scores"], name="probability"))


def try_movies() -> None:
    """Recommend movies for a demographic profile."""
    left, middle, right = st.columns(3)
    age = left.number_input("Age", min_value=7, max_value=100, value=30)
    gender = middle.selectbox("Gender", ["M", "F", "O"])
    occupation = right.selectbox("Occupation", list(OCCUPATIONS))
    if st.button("Recommend", key="movies-go"):
        answer = api().post("/api/recommend", json={"age": int(age), "gender": gender,
                                                    "occupation": occupation, "max_recs": 10},
                            params={"detail": "true"})
        st.dataframe(pd.Series(answer["scores"], name="probability of 4+ stars"))


def try_interests() -> None:
    """A user's top interests."""
    handle = st.text_input("User handle (UUID)")
    if st.button("Show interests", key="interests-go") and handle:
        st.json(api().get(f"/interests/{handle.strip()}", top_k=10))


def try_resumes() -> None:
    """Point to the dedicated pages."""
    st.write("Classify resumes on the **Inference** page; train and promote on **Training**.")


TRY: dict[str, Any] = {"genres": try_genres, "movies": try_movies, "interests": try_interests,
                       "resumes": try_resumes}

st.title("Services")
try:
    models = api().get("/models")
except ApiError as error:
    show_error(error)
    st.stop()

for name, status in models.items():
    with st.expander(f"{name} · live version {status['live']}", expanded=name != "resumes"):
        live = next((v for v in status["versions"] if v["version"] == status["live"]), None)
        if live is None:
            st.info("no live model")
        else:
            st.caption(f"primary metric {status['primary_metric']}; "
                       f"registered {live['created_at'][:19]}, {live['rows']} training rows")
            st.dataframe(pd.DataFrame([live["metrics"]]), hide_index=True)
        if status["last_error"]:
            st.warning(status["last_error"])
        if name in TRY:
            try:
                TRY[name]()
            except ApiError as error:
                show_error(error)
