"""The ``modelworks`` command's entry point: errors a person can act on, in one line.

A bad setting names its variable, what it holds and the form it takes; any other failure is
one line too, with its type. ``--debug`` (anywhere on the command line) shows the traceback.
"""

from __future__ import annotations

import os
import re
import sys
from typing import get_args, get_origin

from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.markup import escape

from modelworks.cli.common import console
from modelworks.cli.main import app
from modelworks.core.settings import Settings

_EXAMPLES = {"list": '["genres", "movies"]', "dict": '{"resumes": 64}'}


def main() -> None:
    """Run the CLI; ``--debug`` lets a traceback through."""
    debug = "--debug" in sys.argv[1:]
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except (ValidationError, SettingsError) as exc:
        if debug:
            raise
        console.print(f"[red]error:[/red] {escape(settings_problem(exc))}", highlight=False)
        sys.exit(2)
    except Exception as exc:
        if debug:
            raise
        first_line = (str(exc).strip().splitlines() or [""])[0][:300]
        console.print(f"[red]error:[/red] {escape(type(exc).__name__)}: {escape(first_line)} "
                      "(run again with --debug for the traceback)", highlight=False)
        sys.exit(1)


def settings_problem(exc: ValidationError | SettingsError) -> str:
    """One line: which ``MODELWORKS_*`` variable is wrong, what it holds, what it should be."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        given = error.get("input")
        problem = str(error["msg"])
    else:
        found = re.search(r'field "(\w+)"', str(exc))
        field = found.group(1) if found else ""
        given = None
        problem = "not valid JSON"
    info = Settings.model_fields.get(field)
    if info is None:  # a service's own setting: pydantic's message names it
        return f"a setting is wrong: {str(exc).splitlines()[0]}"
    variable = f"MODELWORKS_{field.upper()}"
    if given is None or isinstance(given, dict):
        given = os.environ.get(variable, given)
    expected = (info.description or "").split(";")[0].rstrip(".")
    example = _example_of(info.annotation)
    line = f"{variable}={given!r}: {problem}; expected: {expected}"
    return line + (f", e.g. {variable}='{example}'" if example else "")


def _example_of(annotation: object) -> str:
    """An example value for a list or dict setting (also inside ``X | None``)."""
    for kind in (annotation, *get_args(annotation)):
        origin = get_origin(kind) or kind
        if isinstance(origin, type) and origin.__name__ in _EXAMPLES:
            return _EXAMPLES[origin.__name__]
    return ""
