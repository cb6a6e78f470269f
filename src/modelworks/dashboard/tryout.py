"""A form for any prediction operation, built from the API's description of it.

JSON bodies and CSV uploads are edited as text, prefilled with the operation's first example;
path values and query options become inputs. Answers are drawn as tables or bar charts where
their shape says what they are, else shown as JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from modelworks.client import ApiClient, ApiError
from modelworks.dashboard.schema import Operation


def try_operation(client: ApiClient, operation: Operation, key: str) -> None:
    """The form, the call, and the answer (kept until the form is sent again)."""
    example = operation.examples[0] if operation.examples else {"value": None}
    st.markdown(f"**{operation.method} {operation.path}** · {operation.summary}")
    path = operation.path
    body: Any = None
    if operation.request == "path":
        for name, value in (example["value"] or {}).items():
            typed = st.text_input(name, value=str(value), key=f"{key}-{name}")
            path = path.replace("{" + name + "}", typed.strip())
    else:
        shown = (example["value"] if operation.request == "csv"
                 else json.dumps(example["value"], indent=2))
        body = st.text_area("CSV file" if operation.request == "csv" else "JSON body",
                            value=shown or "", height=160, key=f"{key}-body")
    query = _options(operation, key)
    if st.button("Send", key=f"{key}-go"):
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
        show_answer(answer)


def _options(operation: Operation, key: str) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.get("in") != "query":
            continue
        name, schema = parameter["name"], parameter.get("schema", {})
        label = f"{name}: {parameter.get('description', '')}"
        if schema.get("type") == "boolean":
            if st.checkbox(label, key=f"{key}-{name}"):
                chosen[name] = "true"
        elif schema.get("type") in ("integer", "number"):
            cast = int if schema["type"] == "integer" else float
            chosen[name] = st.number_input(
                label, min_value=cast(schema.get("minimum", 0)),
                max_value=cast(schema.get("maximum", 10**9)),
                value=cast(schema.get("default", 0)), key=f"{key}-{name}")
    return chosen


def _call(client: ApiClient, operation: Operation, path: str, body: Any,
          query: dict[str, Any]) -> Any:
    if operation.request == "path":
        return client.request(operation.method, path, params=query)
    if operation.request == "csv":
        return client.request(operation.method, path, params=query,
                              files={"file": ("data.csv", body.encode(), "text/csv")})
    return client.request(operation.method, path, params=query, json=json.loads(body))


def show_answer(answer: Any) -> None:
    """An answer as a chart or table when its shape is a known one, else as JSON."""
    if isinstance(answer, list) and all(not isinstance(x, dict | list) for x in answer):
        st.dataframe(pd.DataFrame({"answer": answer}), hide_index=False)
        return
    if isinstance(answer, dict):
        scores = answer.get("scores")
        if isinstance(scores, dict) and scores:
            st.bar_chart(pd.Series(scores, name="score"), horizontal=True)
        if isinstance(answer.get("interests"), list):
            st.dataframe(pd.DataFrame(answer["interests"]), hide_index=True)
        elif isinstance(answer.get("results"), list) and answer["results"] and isinstance(
                answer["results"][0], dict) and "results" in answer["results"][0]:
            for group in answer["results"]:
                st.caption(group["query"])
                st.dataframe(pd.DataFrame(group["results"]), hide_index=True)
        elif answer and all(isinstance(v, dict) for v in answer.values()):
            table = pd.DataFrame({k: {r: g for r, g in v.items() if r != "scores"}
                                  for k, v in answer.items()}).T
            st.dataframe(table)
            first = next(iter(answer.values()))
            if isinstance(first.get("scores"), dict):
                st.bar_chart(pd.Series(first["scores"], name="probability"), horizontal=True)
        elif not isinstance(scores, dict):
            st.json(answer)
        return
    st.json(answer)
