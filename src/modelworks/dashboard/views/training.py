"""Train a resume model in the background, read its evaluation, promote a version."""

from __future__ import annotations

import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard.components import (
    api,
    confusion_matrix,
    follow_job,
    metrics_table,
    per_class_report,
    show_error,
    versions_panel,
)

SERVICE = "resumes"

st.title("Train a resume classifier")
try:
    status = api().get(f"/models/{SERVICE}")
except ApiError as error:
    show_error(error)
    st.stop()

with st.form("train"):
    kind = st.selectbox("Model type", status["model_kinds"],
                        help="tfidf-logistic is ours; naive-bayes the baseline; "
                             "minilm-logistic uses sentence-embedding features")
    name = st.text_input("Name", placeholder="e.g. tfidf after the data refresh",
                         max_chars=200)
    register = st.checkbox("Register the model (promoted if it passes the gate)", value=True)
    submitted = st.form_submit_button("Train")

if submitted:
    try:
        started = api().post(f"/models/{SERVICE}/train",
                             data={"model": kind, "name": name,
                                   "register": "true" if register else "false"})
        st.session_state["last_job"] = follow_job(started["job_id"])
    except ApiError as error:
        show_error(error)

if (job := st.session_state.get("last_job")) is not None:
    if job["state"] != "succeeded":
        st.error(f"job {job['job_id']} {job['state']}: {job['error'] or job['step']}")
    else:
        result = job["result"]
        verdict = ("not registered" if result["version"] is None else
                   f"registered as version {result['version']}, "
                   + ("promoted" if result["promoted"] else "not promoted"))
        st.success(f"{result['model']} trained in {result['duration_seconds']:.1f} s; {verdict}. "
                   f"{result['reason']}")
        st.subheader("Held-out metrics (fixed 20% split)")
        metrics_table(result["metrics"])
        if result["details"]:
            left, right = st.columns(2)
            with left:
                st.subheader("Per category")
                per_class_report(result["details"])
            with right:
                confusion_matrix(result["details"], f"{result['model']}: confusion matrix")

st.header("Registered versions")
versions_panel(SERVICE)
