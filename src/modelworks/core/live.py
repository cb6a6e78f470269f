"""The live model of one service inside one server process."""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

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
        """Load the registry's live version if it differs from the served one; True if swapped."""
        with self._refresh_lock:
            try:
                wanted = self.registry.live_version(self.service.name)
            except Exception as exc:  # a broken alias must not take serving down
                self._fail(f"cannot read live alias: {exc}")
                return False
            if wanted is None or wanted == self.version or wanted == self._failed_version:
                return False  # a version that failed is retried once the alias moves
            try:
                folder = self.registry.verified_folder(self.service.name, wanted)
                model: Any = self.service.load_model(folder)
                self.service.warm_up(model)
            except Exception as exc:
                self._failed_version = wanted
                self._fail(f"version {wanted} failed to load: {exc}")
                return False
            old = self._loaded
            self._loaded = Loaded(wanted, model)
            self.last_error = None
            self._failed_version = None
            # A loaded model is hundreds of thousands of long-lived objects (dicts of handles,
            # lists of labels). Freezing them keeps the collector from walking them again and
            # again, which otherwise shows up as multi-millisecond pauses in request latency.
            gc.collect()
            gc.freeze()
            log.info(
                "live model swapped",
                extra={"service": self.service.name, "version": wanted,
                       "previous": old.version if old else None},
            )
            return True

    def _fail(self, message: str) -> None:
        self.last_error = message
        log.error("live model refresh failed", extra={"service": self.service.name,
                                                       "error": message})
