"""Servers the reliability tests run in-process, on a real socket."""

from __future__ import annotations

from tests.conftest import uvicorn_thread

__all__ = ["uvicorn_thread"]
