"""What the CLI tells a person: the start-up banner, a training summary, a busy port."""

from __future__ import annotations

import logging
import socket
import sys
from typing import TYPE_CHECKING

from modelworks import __version__
from modelworks.cli.common import number
from modelworks.core.settings import AuthMode

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modelworks.core.settings import Settings
    from modelworks.core.training import TrainResult


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (binding it here fails)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: a port held only by connections closing (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def announce_ready(settings: Settings, app: FastAPI) -> None:
    """The banner for a person at a terminal; one ``ready`` log record where logs are JSON."""
    from modelworks.server.logs import TextFormatter, formatter_for

    if isinstance(formatter_for(settings.log_format), TextFormatter):
        print(ready_banner(settings, app), file=sys.stderr, flush=True)
        return
    # Every line of a JSON log stays JSON (collectors parse each one).
    logging.getLogger("modelworks.server").info(
        "ready", extra={label: value for label, value in _banner_rows(settings, app)})


def ready_banner(settings: Settings, app: FastAPI) -> str:
    """The lines printed once the server is up: where everything is, and who may call it."""
    rows = _banner_rows(settings, app)
    width = max(len(label) for label, _ in rows)
    lines = [f"modelworks {__version__} is serving {rows[0][1]}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows[1:]]
    return "\n".join(lines)


def _banner_rows(settings: Settings, app: FastAPI) -> list[tuple[str, str]]:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    api = f"http://{host}:{settings.port}"
    live = app.state.live
    versions = ", ".join(f"{name} v{model.version}" if model.version is not None
                         else f"{name} (no live model yet)" for name, model in live.items())
    auth = settings.auth.value
    if settings.auth is not AuthMode.OFF and settings.admin_key_file.exists():
        auth += f" (the first admin key is in {settings.admin_key_file})"
    return [("services", versions or "no services"), ("API", api), ("docs", f"{api}/docs"),
            ("metrics", f"{api}/metrics"),
            ("dashboard", f"http://{host}:{settings.dashboard_port} (make run, or "
                          "`modelworks dashboard`)"),
            ("home", str(settings.home.resolve())), ("auth", auth)]


def training_summary(result: TrainResult) -> str:
    """A few lines for a person: the version, its metrics, and whether it went live and why."""
    head = (f"{result.service}: version {result.version}" if result.version is not None
            else f"{result.service}: not registered (--no-register)")
    if result.model:
        head += f" ({result.model})"
    head += f", {result.n_rows:,} rows, {result.duration_seconds:.1f} s"
    metrics = ", ".join(f"{name} {number(value)}" if isinstance(value, int | float)
                        else f"{name} {value}" for name, value in result.metrics.items())
    verdict = "promoted: now live" if result.promoted else "not promoted"
    return "\n".join([head, f"  metrics: {metrics}", f"  {verdict}: {result.reason}",
                      "  (the full result, with per-class reports: --json)"])
