"""Altair charts sized and labelled to be read at 1400 x 1000 (labels 13 px, long names whole)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

LABEL_PX = 13
TITLE_PX = 14
LABEL_LIMIT_PX = 480
"""Wide enough for a category, genre or product description of a line."""
BAR_PX = 26


def readable(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    """``chart`` with axis, legend and title fonts large enough to read."""
    configured: alt.Chart | alt.LayerChart = (
        chart.configure_axis(labelFontSize=LABEL_PX, titleFontSize=TITLE_PX,
                             labelLimit=LABEL_LIMIT_PX)
        .configure_legend(labelFontSize=LABEL_PX, titleFontSize=TITLE_PX)
        .configure_title(fontSize=TITLE_PX + 2, anchor="start"))
    return configured


def ranked_bars(frame: pd.DataFrame, label: str, value: str, title: str = "",
                unit_range: bool = True) -> alt.Chart | alt.LayerChart:
    """Horizontal bars, largest on top, each with its value written at its end.

    ``unit_range`` fixes the axis to 0-1 so probabilities of two answers compare by eye.
    """
    scale = alt.Scale(domain=[0, 1]) if unit_range else alt.Scale(zero=True)
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None),
        x=alt.X(f"{value}:Q", scale=scale, title=value),
        tooltip=list(frame.columns))
    bars = base.mark_bar()
    text = base.mark_text(align="left", dx=4, fontSize=LABEL_PX).encode(
        text=alt.Text(f"{value}:Q", format=".3f"))
    return readable((bars + text).properties(height=bars_height(len(frame))))


def bars_height(bars: int) -> int:
    """Pixels for ``bars`` horizontal bars, each a line of label.

    Pass it to ``st.altair_chart``: with ``width="stretch"`` Streamlit does not keep a layered
    chart's own height.
    """
    return max(BAR_PX * bars, 60) + 70


def histogram(values: Sequence[float], reference: Sequence[float] | None,
              threshold: float | None, measure: str) -> alt.Chart | alt.LayerChart:
    """Share of values per bin, the recent window beside the live version's held-out set.

    Shares, not counts, so a window of 30 requests compares with a held-out set of 3,000; a
    red rule marks ``threshold``.
    """
    frame = pd.concat([pd.DataFrame({measure: list(values), "set": "last window"}),
                       pd.DataFrame({measure: list(reference or []),
                                     "set": "live version, held out"})])
    bars = alt.Chart(frame).transform_joinaggregate(
        total="count()", groupby=["set"]).transform_calculate(
        share="1 / datum.total").mark_bar(opacity=0.55, binSpacing=0).encode(
        x=alt.X(f"{measure}:Q", bin=alt.Bin(maxbins=30), title=measure),
        y=alt.Y("sum(share):Q", stack=None, title="share", axis=alt.Axis(format="%")),
        color=alt.Color("set:N", title=None, legend=alt.Legend(orient="top")))
    layers: alt.Chart | alt.LayerChart = bars
    if threshold is not None:
        rule = alt.Chart(pd.DataFrame({"threshold": [threshold]})).mark_rule(
            color="#d62728", strokeWidth=2).encode(x="threshold:Q")
        layers = bars + rule
    return readable(layers.properties(height=320))


def per_minute(timeline: pd.DataFrame) -> alt.Chart | alt.LayerChart:
    """Predictions per minute, stacked by the model version that answered."""
    return readable(alt.Chart(timeline, title="Predictions per minute, by version").mark_bar()
                    .encode(x=alt.X("minute:T", title=None),
                            y=alt.Y("predictions:Q", title="predictions"),
                            color=alt.Color("version:N", title="version",
                                            legend=alt.Legend(orient="top")),
                            tooltip=["minute:T", "version:N", "predictions:Q"])
                    .properties(height=260))


def latency(timeline: pd.DataFrame) -> alt.Chart | alt.LayerChart:
    """p50 and p99 latency per minute (every version together)."""
    long = timeline.melt(id_vars=["minute"], value_vars=["p50_ms", "p99_ms"],
                         var_name="percentile", value_name="ms").dropna()
    return readable(alt.Chart(long, title="Latency per minute").mark_line(point=True).encode(
        x=alt.X("minute:T", title=None), y=alt.Y("ms:Q", title="milliseconds"),
        color=alt.Color("percentile:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["minute:T", "percentile:N", alt.Tooltip("ms:Q", format=".1f")])
        .properties(height=260))


def confusion(matrix: Sequence[Sequence[int]], categories: Sequence[str],
              title: str) -> alt.Chart | alt.LayerChart:
    """A confusion matrix as a heat map with its counts written in the cells."""
    cells = pd.DataFrame([{"true": categories[row], "predicted": categories[column],
                           "count": int(count)}
                          for row, counts in enumerate(matrix)
                          for column, count in enumerate(counts)])
    order = list(categories)
    base = alt.Chart(cells, title=title).encode(
        x=alt.X("predicted:N", sort=order, title="predicted",
                axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("true:N", sort=order, title="true"))
    heat = base.mark_rect().encode(color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"),
                                                   legend=None),
                                   tooltip=["true", "predicted", "count"])
    # White on dark cells, black on light ones, so every count stays legible.
    darkest = max(int(cells["count"].max()), 1)
    text = base.mark_text(fontSize=LABEL_PX).encode(
        text="count:Q",
        color=alt.condition(alt.datum.count > darkest / 2, alt.value("white"),
                            alt.value("black")))
    side = max(36 * len(order), 240)
    return readable((heat + text).properties(width=side, height=side))
