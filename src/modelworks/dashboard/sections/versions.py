"""Versions of a service: the table, one version's evaluation and reports, promote, rollback."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modelworks.client import ApiError, Client
from modelworks.client.console import VersionDetail
from modelworks.client.results import ServiceModels, VersionSummary
from modelworks.dashboard import charts
from modelworks.dashboard.catalog import changed, models
from modelworks.dashboard.session import allows, client, remembered

IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")
MIME = {".html": "text/html", ".pdf": "application/pdf", ".csv": "text/csv",
        ".json": "application/json", ".txt": "text/plain"}


def focus(service: str, version: int) -> None:
    """Open ``version`` in the Versions section when the service's page shows next."""
    st.session_state[f"focus-{service}"] = version


def versions_table(status: ServiceModels) -> pd.DataFrame:
    """One row per version: live mark, kind, name, data hash, metrics and the gate's reason."""
    rows = []
    for v in status.versions:
        rows.append({"version": v.version, "live": "● live" if v.live else "",
                     "kind": v.kind, "name": v.name, "created": v.created_at[:19],
                     "data sha256": v.data_sha256[:12], "training rows": v.rows,
                     **{name: round(value, 4) for name, value in v.metrics.items()},
                     "gate": "" if v.gate is None else
                     ("passed: " if v.gate.passed else "refused: ") + v.gate.reason,
                     "broken": v.broken or ""})
    return pd.DataFrame(rows).set_index("version")


def metric_changes(candidate: VersionSummary, live: VersionSummary | None) -> pd.DataFrame:
    """Each metric of ``candidate`` beside the live version's and the difference."""
    names = sorted(set(candidate.metrics) | set(live.metrics if live else {}))
    rows = []
    for name in names:
        new = candidate.metrics.get(name)
        old = live.metrics.get(name) if live else None
        rows.append({"metric": name, "live": old, f"version {candidate.version}": new,
                     "difference": None if new is None or old is None else round(new - old, 4)})
    return pd.DataFrame(rows).set_index("metric")


def render(service: str) -> None:
    """The section."""
    api = client()
    try:
        status = models(api, service)
    except ApiError as error:
        st.error(error.message)
        return
    if (notice := st.session_state.pop(f"notice-{service}", None)) is not None:
        st.success(notice)
    if not status.versions:
        st.info(f"{service} has no registered version yet.")
        return
    st.caption(f"live: version {status.live} · primary metric {status.primary_metric}"
               + (f" · last error: {status.last_error}" if status.last_error else ""))
    st.dataframe(versions_table(status), width="stretch")
    if allows("admin"):
        _rollback(api, service, status)
    numbers = [v.version for v in status.versions]
    pick = f"version-pick-{service}"
    # The live version unless a version was asked for (a training that just ended, a
    # rollback) or this page already shows one.
    if (focused := st.session_state.pop(f"focus-{service}", None)) in numbers:
        st.session_state[pick] = focused
    elif st.session_state.get(pick) not in numbers:
        st.session_state[pick] = status.live if status.live in numbers else numbers[-1]
    chosen: int = st.selectbox(
        "Version", numbers, key=pick,
        format_func=lambda n: f"{n} (live)" if n == status.live else str(n))
    summary = next(v for v in status.versions if v.version == chosen)
    if allows("admin"):
        _promotion(api, service, status, summary)
    try:
        detail = remembered(f"version-{service}-{chosen}-live-{status.live}", 3600,
                            lambda: api.version(service, chosen))
    except ApiError as error:
        st.error(error.message)
        return
    _detail(api, detail)


def _rollback(api: Client, service: str, status: ServiceModels) -> None:
    if st.button("Roll back to the previous live version", key=f"rollback-{service}"):
        try:
            after = api.rollback(service)
        except ApiError as error:
            st.error(error.message)
            return
        changed(service)
        st.session_state[f"notice-{service}"] = (
            f"rolled back: version {after.live} of {service} is live again "
            f"(was {status.live})")
        if after.live is not None:
            focus(service, after.live)
        st.rerun()


def _promotion(api: Client, service: str, status: ServiceModels,
               candidate: VersionSummary) -> None:
    """Promote in two steps: the button shows what changes, a second one confirms."""
    pending = f"promote-pending-{service}"
    disabled = candidate.live or candidate.broken is not None
    if st.button(f"Promote version {candidate.version}…", key=f"promote-{service}",
                 disabled=disabled):
        st.session_state[pending] = candidate.version
    if st.session_state.get(pending) != candidate.version:
        return
    live = next((v for v in status.versions if v.live), None)
    with st.container(border=True):
        st.markdown(f"**Make version {candidate.version} live in place of version "
                    f"{status.live}?**")
        differences = metric_changes(candidate, live)
        st.dataframe(differences, width="stretch")
        primary = status.primary_metric
        new, old = candidate.metrics.get(primary), live.metrics.get(primary) if live else None
        change = None if new is None or old is None else new - old
        if change is not None and change < 0:
            st.warning(f"{primary} falls by {abs(change):.4f} against the live version.")
        confirm, cancel = st.columns(2)
        if confirm.button("Confirm promotion", type="primary", key=f"confirm-{service}"):
            st.session_state.pop(pending, None)
            try:
                api.promote(service, candidate.version)
            except ApiError as error:
                st.error(error.message)
                return
            changed(service)
            st.session_state[f"notice-{service}"] = (
                f"version {candidate.version} of {service} is live")
            st.rerun()
        if cancel.button("Cancel", key=f"cancel-{service}"):
            st.session_state.pop(pending, None)
            st.rerun()


def _detail(api: Client, detail: VersionDetail) -> None:
    st.subheader(f"Version {detail.version}" + (" (live)" if detail.live else "")
                 + (f" · {detail.name}" if detail.name else ""))
    if detail.broken:
        st.error(f"cannot be served: {detail.broken}")
    facts = {"kind": detail.kind, "created": detail.created_at[:19],
             "training rows": detail.rows, "held-out rows": detail.holdout_rows,
             "data sha256": detail.data_sha256}
    st.dataframe(pd.DataFrame([facts]), hide_index=True, width="stretch")
    if detail.metrics:
        st.dataframe(pd.DataFrame([detail.metrics]), hide_index=True, width="stretch")
    if detail.gate is not None:
        (st.success if detail.gate.passed else st.warning)(f"gate: {detail.gate.reason}")
    _evaluation(detail)
    _reports(api, detail)
    with st.expander("Parameters and libraries"):
        st.json({"params": detail.params, "libraries": detail.libraries})


def _evaluation(detail: VersionDetail) -> None:
    """The stored held-out evaluation, read by shape: per-class table, confusion matrix, rest."""
    evaluation: dict[str, Any] = dict(detail.evaluation)
    if not evaluation:
        return
    st.subheader("Held-out evaluation")
    per_class = evaluation.pop("per_class", None)
    matrix = evaluation.pop("confusion_matrix", None)
    categories = evaluation.pop("categories", None)
    if per_class:
        st.dataframe(pd.DataFrame(per_class), hide_index=True, width="stretch")
    if matrix and categories:
        st.altair_chart(charts.confusion(matrix, categories,
                                         f"version {detail.version}: confusion matrix"))
    plain = {k: v for k, v in evaluation.items() if not isinstance(v, dict | list)}
    if plain:
        st.dataframe(pd.DataFrame([plain]), hide_index=True, width="stretch")
    for name, value in evaluation.items():
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            st.caption(name)
            st.dataframe(pd.DataFrame(value), hide_index=True, width="stretch")
        elif isinstance(value, dict | list):
            with st.expander(name):
                st.json(value)


def _report(api: Client, detail: VersionDetail, name: str) -> bytes:
    """A stored report's bytes (a version's files never change: kept an hour)."""
    return remembered(f"report-{detail.service}-{detail.version}-{name}", 3600,
                      lambda: api.report(detail.service, detail.version, name))


def _reports(api: Client, detail: VersionDetail) -> None:
    """Each stored report: images shown, other files offered for download."""
    if not detail.reports:
        return
    st.subheader("Reports")
    for name in detail.reports:
        try:
            content = _report(api, detail, name)
        except ApiError as error:
            st.error(f"{name}: {error.message}")
            continue
        suffix = name[name.rfind("."):].lower() if "." in name else ""
        if suffix in IMAGE_SUFFIXES:
            st.image(content, caption=name)
        else:
            st.download_button(f"Download {name}", content, file_name=name,
                               mime=MIME.get(suffix, "application/octet-stream"),
                               key=f"report-{detail.service}-{detail.version}-{name}")
