"""Which pages a key sees: every service the API serves, then what its scopes allow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from modelworks.client.console import Identity

PAGES = "navigation-pages"
"""Session key of the pages the app built this run, by url path (for ``st.switch_page``)."""

SECTIONS = (("Try", "predict"), ("Versions", "train"), ("History", "history"),
            ("Monitoring", "history"))
"""A service page's sections and the scope each needs."""


@dataclass(frozen=True)
class Entry:
    """One page of the navigation."""

    title: str
    url_path: str
    render: Callable[[], None]


def sections(identity: Identity) -> list[str]:
    """The sections of a service page this key may open."""
    return [name for name, scope in SECTIONS if identity.allows(scope)]


def menu(identity: Identity, services: list[str]) -> dict[str, list[Entry]]:
    """The navigation, grouped: overview, one page per service, models, administration."""
    from modelworks.dashboard.views import explore, jobs, keys, overview, service, training

    found: dict[str, list[Entry]] = {"": [Entry("Overview", "", overview.render)]}
    if sections(identity):
        found["Services"] = [Entry(name, name, partial(service.render, name))
                             for name in services]
    if identity.allows("train"):
        found["Models"] = [Entry("Training", "training", training.render),
                           Entry("Jobs", "jobs", jobs.render)]
        if "resumes" in services:
            found["Models"].append(Entry("Explore resumes", "explore", explore.render))
    if identity.allows("admin"):
        found["Administration"] = [Entry("API keys", "keys", keys.render)]
    return found
