"""The similarity service's own settings: ``MODELWORKS_SIMILARITY__<FIELD>``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from modelworks.core.settings import ServiceSettings


class SimilaritySettings(ServiceSettings):
    """Limits and the embedding cache of the similarity service."""

    legacy_env: ClassVar[dict[str, str]] = {
        "max_texts": "MODELWORKS_MAX_SIMILARITY_TEXTS",
        "max_pairs": "MODELWORKS_MAX_SIMILARITY_PAIRS",
        "embedding_cache_entries": "MODELWORKS_EMBEDDING_CACHE_ENTRIES",
    }

    max_texts: int = Field(
        default=1_000, gt=0,
        description="Queries plus product descriptions one `POST /predict` may carry: each "
                    "new one costs an encoder pass (413 above).",
    )
    max_pairs: int = Field(
        default=100_000, gt=0,
        description="Queries times product descriptions one `POST /predict` may score "
                    "(413 above).",
    )
    embedding_cache_entries: int = Field(
        default=200_000, gt=0,
        description="Vectors the in-memory embedding cache keeps (about 1.5 KB each); with "
                    "`MODELWORKS_REDIS_URL` the cache is in Redis instead.",
    )
    low_score: float = Field(
        default=0.3, ge=-1.0, le=1.0,
        description="Monitoring: a query whose best product scores under this is counted as "
                    "poorly served (the share is on the dashboard's monitoring page).",
    )
