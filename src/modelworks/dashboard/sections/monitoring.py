"""A service's traffic and quality, from the server's own metrics and prediction log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.client.console import Monitoring, Quality
from modelworks.dashboard import charts
from modelworks.dashboard.session import client

WINDOWS = {"last 15 minutes": 15, "last hour": 60, "last 6 hours": 360, "last 24 hours": 1440}


def render(service: str) -> None:
    """The section."""
    window = st.selectbox("Window", list(WINDOWS), index=1, key=f"monitoring-window-{service}")
    try:
        found = client().monitoring(service, minutes=WINDOWS[window])
    except ApiError as error:
        st.error(error.message)
        return
    _numbers(found)
    if found.quality is not None:
        _quality(found.quality)
    if found.timeline:
        timeline = pd.DataFrame([m.model_dump() for m in found.timeline])
        left, right = st.columns(2)
        left.altair_chart(charts.per_minute(timeline), width="stretch")
        right.altair_chart(charts.latency(timeline), width="stretch")
    else:
        st.info("No prediction in this window.")


def _numbers(found: Monitoring) -> None:
    requests = found.requests
    cells = {"live version": str(found.live_version),
             "requests": f"{requests.total:,}",
             "per second": f"{requests.per_second:.2f}",
             "p50": "-" if requests.p50_ms is None else f"{requests.p50_ms:.1f} ms",
             "p99": "-" if requests.p99_ms is None else f"{requests.p99_ms:.1f} ms",
             "4xx": str(found.errors.get("4xx", 0)), "5xx": str(found.errors.get("5xx", 0)),
             "uptime": _duration(found.uptime_seconds)}
    # Two rows of four: eight in a row cut "54.4 ms" to "54.4…" at 1400 px.
    names = list(cells)
    for row in (names[:4], names[4:]):
        for column, name in zip(st.columns(4), row, strict=True):
            column.metric(name, cells[name])


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def _quality(quality: Quality) -> None:
    st.subheader(f"Quality: {quality.name}")
    st.caption(quality.description)
    if quality.drift is not None:
        (st.warning if quality.drift.warning else st.caption)(quality.drift.message)
    if quality.share_below is not None and quality.threshold is not None:
        st.metric(f"share below {quality.threshold:g}", f"{quality.share_below:.1%}")
    if quality.values or quality.reference:
        st.altair_chart(charts.histogram(quality.values, quality.reference, quality.threshold,
                                         quality.name), width="stretch")
    else:
        st.info("No value in this window yet.")
