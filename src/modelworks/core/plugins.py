"""Finding services: the ``modelworks.services`` entry-point group names every installed one."""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from modelworks.core.errors import NotFound

if TYPE_CHECKING:
    from modelworks.core.service import Service
    from modelworks.core.settings import Settings

GROUP = "modelworks.services"


def installed_service_names() -> list[str]:
    """Names of every installed service."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def unknown_service(name: str, known: list[str], among: str = "installed") -> str:
    """Says ``name`` is no service, suggests the closest known one, and lists them all.

    ``among`` says what the known ones are (``installed`` here, ``enabled`` on a server).
    """
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown service {name!r}{hint}; {among}: {', '.join(known) or 'none'}"


def load_services(settings: Settings, names: list[str] | None = None) -> dict[str, Service]:
    """The named services (default: all), configured with ``settings``."""
    available = {ep.name: ep for ep in entry_points(group=GROUP)}
    wanted = names if names is not None else sorted(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise NotFound(unknown_service(unknown[0], sorted(available)))
    services: dict[str, Service] = {}
    for name in wanted:
        service: Service = available[name].load()
        service.configure(settings)
        services[name] = service
    return services
