"""Every service: its live model and metrics, and a form for each prediction operation.

The forms are built from the API's OpenAPI document: no service code here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard.components import api, show_error
from modelworks.dashboard.schema import document, prediction_operations
from modelworks.dashboard.tryout import try_operation

st.title("Services")
try:
    models = api().get("/models")
    operations = prediction_operations(document(api().base_url, api().key))
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
        for number, operation in enumerate(o for o in operations if o.service == name):
            try_operation(api(), operation, key=f"{name}-{number}")
