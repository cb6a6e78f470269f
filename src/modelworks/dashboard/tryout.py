"""A form for any prediction operation, built from the API's description of it.

JSON bodies and CSV uploads are edited as text, prefilled with the operation's first example;
path values and query options become inputs (yes/no options start on: they ask for detail,
such as scores, that the charts draw). The answer stays until the form is sent again.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from modelworks.client import ApiError, Client
from modelworks.dashboard.answers import draw
from modelworks.dashboard.schema import Operation


def try_operation(client: Client, operation: Operation, key: str) -> None:
    """The form, the call, and the answer (kept until the form is sent again)."""
    examples = operation.examples or [{"summary": "", "value": None}]
    st.markdown(f"**{operation.method} {operation.path}** · {operation.summary}")
    chosen = 0
    if len(examples) > 1:
        titles = [str(e.get("summary") or f"example {n + 1}") for n, e in enumerate(examples)]
        chosen = titles.index(st.selectbox("Example", titles, key=f"{key}-example"))
    example = examples[chosen]["value"]
    path = operation.path
    body: Any = None
    with st.form(f"{key}-form", border=False):
        if operation.request == "path":
            for name, value in (example or {}).items():
                typed = st.text_input(name, value=str(value), key=f"{key}-{chosen}-{name}")
                path = path.replace("{" + name + "}", typed.strip())
        else:
            shown = example if operation.request == "csv" else json.dumps(example, indent=2)
            body = st.text_area("CSV file" if operation.request == "csv" else "JSON body",
                                value=shown or "", height=180, key=f"{key}-{chosen}-body")
        query = _options(operation, key)
        sent = st.form_submit_button("Send", type="primary")
    if sent:
        try:
            st.session_state[f"{key}-answer"] = _call(client, operation, path, body, query)
        except (ApiError, ValueError) as error:
            st.session_state[f"{key}-answer"] = error
    answer = st.session_state.get(f"{key}-answer")
    if isinstance(answer, ApiError):
        st.error(answer.message)
    elif isinstance(answer, ValueError):
        st.error(f"the body is not valid JSON: {answer}")
    elif answer is not None:
        draw(answer)


def _options(operation: Operation, key: str) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.get("in") != "query":
            continue
        name, schema = parameter["name"], parameter.get("schema", {})
        label = f"{name}: {parameter.get('description', '')}"
        if schema.get("type") == "boolean":
            if st.checkbox(label, value=True, key=f"{key}-{name}"):
                chosen[name] = "true"
        elif schema.get("type") in ("integer", "number"):
            cast = int if schema["type"] == "integer" else float
            chosen[name] = st.number_input(
                label, min_value=cast(schema.get("minimum", 0)),
                max_value=cast(schema.get("maximum", 10**9)),
                value=cast(schema.get("default", 0)), key=f"{key}-{name}")
    return chosen


def _call(client: Client, operation: Operation, path: str, body: Any,
          query: dict[str, Any]) -> Any:
    if operation.request == "path":
        return client.request(operation.method, path, params=query)
    if operation.request == "csv":
        return client.request(operation.method, path, params=query,
                              files={"file": ("data.csv", body.encode(), "text/csv")})
    return client.request(operation.method, path, params=query, json=json.loads(body))
