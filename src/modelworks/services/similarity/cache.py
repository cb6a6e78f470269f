"""Content-addressed embedding caches: a text is embedded once per encoder, whoever asks.

The key is ``sha256(encoder id, text)``, so a new encoder version never reads an old vector and
two workers (or machines, with Redis) share every vector either has computed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from cachetools import LRUCache
from numpy.typing import NDArray

from modelworks.core.encoders.minilm import EMBEDDING_DIM

Vector = NDArray[np.float32]
_PREFIX = "modelworks:emb:"
log = logging.getLogger(__name__)


def cache_key(encoder_id: str, text: str) -> str:
    """The content address of ``text`` embedded by ``encoder_id``."""
    return hashlib.sha256(f"{encoder_id}\0{text}".encode()).hexdigest()


class EmbeddingCache(Protocol):
    """Where vectors are kept between requests."""

    hits: int
    misses: int
    listeners: list[Callable[[int, int], None]]
    """Called with (hits, misses) after each lookup, e.g. to count them in Prometheus."""

    def get_many(self, keys: list[str]) -> list[Vector | None]:
        """The vector of each key, or ``None`` where it is not cached."""

    def put_many(self, items: dict[str, Vector]) -> None:
        """Store vectors."""


class _Counted:
    """Hit and miss counts of this process, reported to listeners as they happen."""

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.listeners: list[Callable[[int, int], None]] = []

    def _count(self, found: list[Vector | None]) -> None:
        hit = sum(vector is not None for vector in found)
        self.hits += hit
        self.misses += len(found) - hit
        for listener in self.listeners:
            listener(hit, len(found) - hit)


class MemoryCache(_Counted):
    """A bounded in-process LRU cache (the default)."""

    def __init__(self, max_entries: int) -> None:
        super().__init__()
        self._vectors: LRUCache[str, Vector] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> list[Vector | None]:
        """Look up and count."""
        with self._lock:
            found = [self._vectors.get(key) for key in keys]
        self._count(found)
        return found

    def put_many(self, items: dict[str, Vector]) -> None:
        """Insert, evicting the least recently used beyond the bound."""
        with self._lock:
            self._vectors.update(items)


class RedisCache(_Counted):
    """Vectors in Redis as raw float32 bytes, shared by every worker and machine.

    The cache only saves work: when Redis cannot be reached, lookups miss and writes are
    dropped, and requests are answered by encoding, never failed. Calls time out after
    ``timeout_seconds`` without retries, and after a failure Redis is left alone for
    ``cooldown_seconds`` (a circuit breaker), so a wrong URL or a dead server costs one slow
    call per cooldown, not one per request.
    """

    def __init__(self, url: str, ttl_seconds: int | None = None, *,
                 timeout_seconds: float = 0.25, cooldown_seconds: float = 30.0) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        super().__init__()
        self._client = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                            socket_connect_timeout=timeout_seconds,
                                            retry=Retry(NoBackoff(), 0))
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._ttl = ttl_seconds
        self.cooldown_seconds = cooldown_seconds
        self._open_until = 0.0  # monotonic time before which Redis is not called

    @property
    def available(self) -> bool:
        """False while the breaker is open (Redis failed within the cooldown)."""
        return time.monotonic() >= self._open_until

    def _trip(self, what: str, exc: Exception) -> None:
        if self.available:
            log.warning(f"embedding cache unreachable ({what}); not used for "
                        f"{self.cooldown_seconds:g} s", extra={"error": str(exc)[:200]})
        self._open_until = time.monotonic() + self.cooldown_seconds

    def get_many(self, keys: list[str]) -> list[Vector | None]:
        """One MGET round trip (every key a miss while the breaker is open)."""
        raw: list[Any] = [None] * len(keys)
        if keys and self.available:
            try:
                raw = self._client.mget([_PREFIX + key for key in keys])
            except self._errors as exc:
                self._trip("lookup", exc)
        found: list[Vector | None] = [
            np.frombuffer(value, dtype=np.float32).copy()
            if isinstance(value, bytes) and len(value) == EMBEDDING_DIM * 4 else None
            for value in raw]
        self._count(found)
        return found

    def put_many(self, items: dict[str, Vector]) -> None:
        """One pipelined write."""
        if not items or not self.available:
            return
        pipeline = self._client.pipeline(transaction=False)
        for key, vector in items.items():
            pipeline.set(_PREFIX + key, np.asarray(vector, dtype=np.float32).tobytes(),
                         ex=self._ttl)
        try:
            pipeline.execute()
        except self._errors as exc:
            self._trip("store", exc)

    def ping(self) -> bool:
        """Whether the server answers."""
        return bool(self._client.ping())


def embed_with_cache(texts: list[str], encoder_id: str, cache: EmbeddingCache,
                     encode: Callable[[list[str]], Vector]) -> Vector:
    """Vectors of ``texts``: cached ones read, the rest encoded once (duplicates too) and stored."""
    keys = [cache_key(encoder_id, text) for text in texts]
    found = cache.get_many(keys)
    missing = list(dict.fromkeys(text for text, vector in zip(texts, found, strict=True)
                                 if vector is None))
    fresh: dict[str, Vector] = {}
    if missing:
        vectors = encode(missing)
        fresh = {cache_key(encoder_id, text): vector
                 for text, vector in zip(missing, vectors, strict=True)}
        cache.put_many(fresh)
    out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
    for row, (key, vector) in enumerate(zip(keys, found, strict=True)):
        out[row] = vector if vector is not None else fresh[key]
    return out
