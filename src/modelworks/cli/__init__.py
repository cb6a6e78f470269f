"""The ``modelworks`` command line: ``app`` is the entry point."""

from modelworks.cli.main import app

__all__ = ["app"]
