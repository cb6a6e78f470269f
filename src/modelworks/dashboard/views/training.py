"""Train a model of any service in the background, follow it, then open the new version."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.client.results import Job
from modelworks.dashboard import catalog, session
from modelworks.dashboard.sections.versions import focus
from modelworks.dashboard.views.service import open_section

TIMEOUT_SECONDS = 3600.0


class Progress:
    """A progress bar and the list of steps a job went through, with their durations."""

    def __init__(self) -> None:
        self.bar = st.progress(0, text="queued")
        self.table = st.empty()
        self.steps: list[tuple[str, float]] = []
        self.started = time.monotonic()

    def update(self, job: Job) -> None:
        """Move to ``job``'s state (``Client.wait_for_job`` calls it at every poll)."""
        percent = int(min(max(job.progress, 0.0), 100.0))
        step = job.step or job.state
        self.bar.progress(percent, text=f"{job.state} · {step} · {percent}%")
        if not self.steps or self.steps[-1][0] != step:
            self.steps.append((step, time.monotonic()))
        now = time.monotonic()
        ends = [start for _, start in self.steps[1:]] + [now]
        self.table.dataframe(pd.DataFrame(
            [{"step": name, "seconds": round(end - start, 1)}
             for (name, start), end in zip(self.steps, ends, strict=True)]),
            hide_index=True)


def render() -> None:
    """The page."""
    st.title("Train a model")
    api = session.client()
    identity = session.identity()
    if identity is None:
        return
    try:
        names = sorted(api.models())
    except ApiError as error:
        st.error(error.message)
        return
    service = st.selectbox("Service", names, key="train-service")
    if service is None:
        st.info("No service to train.")
        return
    status = catalog.models(api, service)
    with st.form("train"):
        kinds = status.model_kinds
        kind = st.selectbox("Model kind", kinds) if kinds else None
        name = st.text_input("Name", placeholder="e.g. tfidf after the data refresh",
                             max_chars=200)
        register = st.checkbox("Register the version (made live if it passes the gate)",
                               value=True)
        submitted = st.form_submit_button("Train", type="primary")
    if submitted:
        _train(service, kind, name, register)
    if (job := st.session_state.get("training-job")) is not None:
        _outcome(job)


def _train(service: str, kind: str | None, name: str, register: bool) -> None:
    api = session.client()
    try:
        started = api.start_job(service, model=kind, name=name, register=register)
        job = api.wait_for_job(started.job_id, on_update=Progress().update,
                               timeout=TIMEOUT_SECONDS)
    except ApiError as error:
        st.error(error.message)
        return
    st.session_state["training-job"] = job
    result = job.training()
    if job.state == "succeeded" and result is not None and result.version is not None:
        catalog.changed(service)
        focus(service, result.version)
        st.session_state[f"notice-{service}"] = _verdict(job)
        open_section(service, "Versions")


def _verdict(job: Job) -> str:
    result = job.training()
    if result is None:
        return f"job {job.job_id} {job.state}"
    registered = ("not registered" if result.version is None else
                  f"registered as version {result.version}, "
                  + ("made live" if result.promoted else "not made live"))
    return (f"{result.model or result.service} trained in {result.duration_seconds:.1f} s; "
            f"{registered}. {result.reason}")


def _outcome(job: Job) -> None:
    if job.state != "succeeded":
        st.error(f"job {job.job_id} {job.state}: {job.error or job.step}")
        return
    st.success(_verdict(job))
    result = job.training()
    if result is not None and result.metrics:
        st.dataframe(pd.DataFrame([result.metrics]), hide_index=True)
