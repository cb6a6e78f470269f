"""The live model of one service inside one server process."""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from modelworks.core.budget import current_budget
from modelworks.core.errors import NoLiveModel

if TYPE_CHECKING:
    from modelworks.core.registry import Registry
    from modelworks.core.service import Service

log = logging.getLogger(__name__)
M = TypeVar("M")


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A loaded model and the registry version it came from."""

    version: int
    model: M


class LiveModel(Generic[M]):
    """Holds the loaded live model; swaps in a new version without dropping requests.

    ``current()`` hands out an immutable snapshot, so a request keeps the model it started
    with even if a swap happens meanwhile. ``refresh()`` loads a changed live version beside
    the old one, warms it up with a real prediction and only then swaps one reference; on any
    failure the old model keeps serving and the error is kept in ``last_error``.
    """

    def __init__(self, service: Service, registry: Registry) -> None:
        self.service = service
        self.registry = registry
        self.last_error: str | None = None
        self._loaded: Loaded[M] | None = None
        self._failed_version: int | None = None
        self._refresh_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once a model is loaded and has answered its warm-up prediction."""
        return self._loaded is not None

    @property
    def version(self) -> int | None:
        """The version being served, if any."""
        loaded = self._loaded
        return loaded.version if loaded else None

    def current(self) -> Loaded[M]:
        """The model to serve this request with; ``NoLiveModel`` (409) when there is none."""
        loaded = self._loaded
        if loaded is None:
            raise NoLiveModel(
                f"no {self.service.name} model is live yet: train one with "
                f"`modelworks train {self.service.name}` or its train endpoint"
            )
        return loaded

    def refresh(self) -> bool:
        """Load the registry's live version if it differs from the served one; True if swapped.

        A process that has nothing to serve and finds the live version broken (a file changed
        after promotion) serves the latest earlier live version that still loads, and says so
        in ``last_error``, rather than refusing every request.
        """
        with self._refresh_lock:
            try:
                wanted = self.registry.live_version(self.service.name)
            except Exception as exc:  # a broken alias must not take serving down
                self._fail(f"cannot read live alias: {exc}")
                return False
            if wanted is None or wanted == self.version or wanted == self._failed_version:
                return False  # a version that failed is retried once the alias moves
            try:
                model = self._load(wanted)
            except Exception as exc:
                self._failed_version = wanted
                self._fail(f"version {wanted} failed to load: {exc}")
                if self._loaded is None:
                    self._fall_back(wanted)
                return self._loaded is not None and self._loaded.version != wanted
            self._swap(wanted, model)
            self.last_error = None
            self._failed_version = None
            return True

    def _load(self, version: int) -> Any:
        # A load is the server's work, not a request's: one set off by a request (a train or
        # promote call, in a thread that inherited its context) must not stop at that
        # request's deadline, nor be marked broken because the request ran long.
        outside_request = current_budget.set(None)
        try:
            folder = self.registry.verified_folder(self.service.name, version)
            model: Any = self.service.load_model(folder)
            self.service.warm_up(model)
            return model
        finally:
            current_budget.reset(outside_request)

    def _fall_back(self, broken: int) -> None:
        try:
            earlier = list(reversed(self.registry.previous_live(self.service.name)))
        except Exception:  # the alias was readable a moment ago; nothing better to try
            return
        for version in earlier:
            if version == broken:
                continue
            try:
                model = self._load(version)
            except Exception as exc:  # this one is broken too: try the one before it
                log.warning("earlier version failed to load", extra={
                    "service": self.service.name, "version": version, "error": str(exc)})
                continue
            self._swap(version, model)
            self._fail(f"version {broken} failed to load; serving earlier live version "
                       f"{version} until the alias moves")
            return

    def _swap(self, version: int, model: Any) -> None:
        """Serve ``model`` from now on (called with the refresh lock held)."""
        old = self._loaded
        self._loaded = Loaded(version, model)
        # A loaded model is hundreds of thousands of long-lived objects (dicts of handles,
        # lists of labels). Freezing them keeps the collector from walking them again and
        # again, which otherwise shows up as multi-millisecond pauses in request latency.
        gc.collect()
        gc.freeze()
        log.info("live model swapped", extra={"service": self.service.name, "version": version,
                                               "previous": old.version if old else None})

    def _fail(self, message: str) -> None:
        self.last_error = message
        log.error("live model refresh failed", extra={"service": self.service.name,
                                                       "error": message})
