"""Small pieces every page reuses: the API client, errors, metrics, versions, job progress."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from modelworks.client import ApiClient, ApiError
from modelworks.core.settings import Settings

FINAL_STATES = ("succeeded", "failed", "cancelled")
POLL_SECONDS = 0.5


def api() -> ApiClient:
    """The session's API client (settings read once per session)."""
    if "api" not in st.session_state:
        st.session_state["api"] = ApiClient.from_settings(Settings())
    client: ApiClient = st.session_state["api"]
    return client


def settings() -> Settings:
    """The dashboard's settings."""
    if "settings" not in st.session_state:
        st.session_state["settings"] = Settings()
    value: Settings = st.session_state["settings"]
    return value


def show_error(error: ApiError) -> None:
    """An API error as a red box (never a traceback)."""
    st.error(error.message)


def _held_out(metrics: dict[str, float]) -> dict[str, float]:
    """Metrics with the held-out row count named as such (``rows`` alone reads as training)."""
    return {("held-out rows" if name == "rows" else name): value
            for name, value in metrics.items()}


def metrics_table(metrics: dict[str, float]) -> None:
    """Held-out metrics as a one-row table."""
    st.dataframe(pd.DataFrame([_held_out(metrics)]), hide_index=True)


def confusion_matrix(details: dict[str, Any], title: str) -> None:
    """The held-out confusion matrix as an image."""
    from modelworks.core.reports import confusion_png

    st.image(confusion_png(details["confusion_matrix"], details["categories"], title),
             caption=title)


def per_class_report(details: dict[str, Any]) -> None:
    """Precision, recall, F1 and support per category."""
    st.dataframe(pd.DataFrame(details["per_class"]).set_index("category"))


def versions_panel(service: str) -> None:
    """Registered versions with their metrics, the live one marked, and a promote button."""
    try:
        status = api().get(f"/models/{service}")
    except ApiError as error:
        show_error(error)
        return
    versions = status["versions"]
    if not versions:
        st.info(f"{service} has no registered version yet.")
        return
    table = pd.DataFrame([{"version": v["version"], "live": v["version"] == status["live"],
                           "name": v.get("name", ""), "model": v.get("params", {}).get("kind", ""),
                           "created": v["created_at"][:19], "trained on": v["rows"],
                           **_held_out(v["metrics"])} for v in versions]).set_index("version")
    st.dataframe(table)
    st.caption(f"live: version {status['live']}; loaded by this worker: {status['loaded']}"
               + (f"; last error: {status['last_error']}" if status["last_error"] else ""))
    numbers = [v["version"] for v in versions]
    chosen = st.selectbox("Version to make live", numbers, index=len(numbers) - 1,
                          key=f"promote-{service}")
    if st.button("Promote", key=f"promote-button-{service}"):
        try:
            api().put(f"/models/{service}/live", {"version": chosen})
        except ApiError as error:
            show_error(error)
        else:
            st.success(f"version {chosen} of {service} is live")


def follow_job(job_id: str, timeout_seconds: float = 600.0) -> dict[str, Any]:
    """Poll a job until it ends, drawing a progress bar; its last record."""
    bar = st.progress(0, text="queued")
    deadline = time.monotonic() + timeout_seconds
    while True:
        job: dict[str, Any] = api().get(f"/jobs/{job_id}")
        bar.progress(min(int(job["progress"]), 100), text=f"{job['state']}: {job['step']}")
        if job["state"] in FINAL_STATES or time.monotonic() > deadline:
            return job
        time.sleep(POLL_SECONDS)
