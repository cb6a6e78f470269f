"""The ``modelworks`` command line: ``main`` is the entry point, ``app`` the Typer app."""

from modelworks.cli.entry import main
from modelworks.cli.main import app

__all__ = ["app", "main"]
