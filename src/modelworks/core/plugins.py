"""Finding services: the ``modelworks.services`` entry-point group names every installed one."""

from __future__ import annotations

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


def load_services(settings: Settings, names: list[str] | None = None) -> dict[str, Service]:
    """The named services (default: all), configured with ``settings``."""
    available = {ep.name: ep for ep in entry_points(group=GROUP)}
    wanted = names if names is not None else sorted(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise NotFound(f"unknown service {', '.join(unknown)}; installed: "
                       f"{', '.join(sorted(available)) or 'none'}")
    services: dict[str, Service] = {}
    for name in wanted:
        service: Service = available[name].load()
        service.configure(settings)
        services[name] = service
    return services
