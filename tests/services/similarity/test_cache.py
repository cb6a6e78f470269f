"""Embedding caches: in-process LRU and the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import redis

from modelworks.core.encoders.minilm import EMBEDDING_DIM
from modelworks.services.similarity.cache import (
    MemoryCache,
    RedisCache,
    cache_key,
    embed_with_cache,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


class CountingEncoder:
    """A deterministic stand-in for the encoder that records what it was asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([np.full(EMBEDDING_DIM, len(text), dtype=np.float32) for text in texts])


def test_only_missing_texts_are_encoded_once_each() -> None:
    cache, encode = MemoryCache(100), CountingEncoder()
    first = embed_with_cache(["saw", "bear", "saw"], "enc", cache, encode)
    assert encode.calls == [["saw", "bear"]]  # the repeat is encoded once
    assert np.array_equal(first[0], first[2])
    second = embed_with_cache(["bear", "drill"], "enc", cache, encode)
    assert encode.calls[-1] == ["drill"]
    assert np.array_equal(second[0], first[1])
    assert (cache.hits, cache.misses) == (1, 4)


def test_another_encoder_never_reads_these_vectors() -> None:
    assert cache_key("enc-a", "saw") != cache_key("enc-b", "saw")
    cache, encode = MemoryCache(100), CountingEncoder()
    embed_with_cache(["saw"], "enc-a", cache, encode)
    embed_with_cache(["saw"], "enc-b", cache, encode)
    assert len(encode.calls) == 2


def test_memory_cache_is_bounded_least_recently_used_first() -> None:
    cache = MemoryCache(2)
    vector = np.ones(EMBEDDING_DIM, dtype=np.float32)
    cache.put_many({"a": vector, "b": vector})
    assert cache.get_many(["a"])[0] is not None  # a is now the most recent
    cache.put_many({"c": vector})
    assert [v is not None for v in cache.get_many(["a", "b", "c"])] == [True, False, True]


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # the real server must be there; no mock
    return REDIS_URL


def test_redis_cache_is_shared_between_processes_and_machines(redis_url: str) -> None:
    encoder_id = f"test-{uuid.uuid4()}"  # a fresh namespace, so earlier runs do not count
    writer, reader = RedisCache(redis_url, ttl_seconds=60), RedisCache(redis_url)
    encode = CountingEncoder()
    written = embed_with_cache(["saw", "bear"], encoder_id, writer, encode)
    read = embed_with_cache(["bear", "saw"], encoder_id, reader, encode)
    assert len(encode.calls) == 1  # the second cache found both in Redis
    assert np.array_equal(read, written[::-1])
    assert read.dtype == np.float32
    assert (reader.hits, reader.misses) == (2, 0)


def test_redis_values_of_the_wrong_size_are_misses(redis_url: str) -> None:
    key = f"broken-{uuid.uuid4()}"
    redis.Redis.from_url(redis_url).set("modelworks:emb:" + key, b"short", ex=60)
    assert RedisCache(redis_url).get_many([key]) == [None]


def test_an_unreachable_redis_costs_encoding_not_errors() -> None:
    cache, encode = RedisCache("redis://127.0.0.1:1/0"), CountingEncoder()  # nothing listens
    vectors = embed_with_cache(["saw", "bear"], "enc", cache, encode)
    assert vectors.shape == (2, EMBEDDING_DIM)
    assert encode.calls == [["saw", "bear"]]
    assert (cache.hits, cache.misses) == (0, 2)
