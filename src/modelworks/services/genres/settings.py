"""The genres service's own settings: ``MODELWORKS_GENRES__<FIELD>``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from modelworks.core.settings import ServiceSettings


class GenresSettings(ServiceSettings):
    """Limits of the genres service."""

    legacy_env: ClassVar[dict[str, str]] = {"max_predict_rows": "MODELWORKS_MAX_PREDICT_ROWS"}

    max_predict_rows: int = Field(
        default=10_000, gt=0,
        description="Rows one CSV prediction request may carry (413 above).",
    )
