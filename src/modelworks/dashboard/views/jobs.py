"""Recent training jobs of every service; a running one can be cancelled."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard import session


def render() -> None:
    """The page."""
    st.title("Training jobs")
    api = session.client()
    try:
        found = api.jobs(limit=50)
    except ApiError as error:
        st.error(error.message)
        return
    if not found:
        st.info("No training job yet.")
        return
    st.dataframe(pd.DataFrame([{
        "job": job.job_id, "service": job.service, "state": job.state,
        "progress %": round(job.progress), "step": job.step or "",
        "version": (job.result or {}).get("version"),
        "created": (job.created_at or "")[:19], "finished": (job.finished_at or "")[:19],
        "error": job.error or ""} for job in found]), hide_index=True, width="stretch")
    running = [job.job_id for job in found if not job.finished]
    if running and session.allows("train"):
        chosen = st.selectbox("Running job", running)
        if st.button("Cancel it"):
            try:
                api.cancel_job(chosen)
            except ApiError as error:
                st.error(error.message)
            else:
                st.rerun()
