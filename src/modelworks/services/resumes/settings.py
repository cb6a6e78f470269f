"""The resumes service's own settings: ``MODELWORKS_RESUMES__<FIELD>``."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from modelworks.core.settings import ServiceSettings


class ResumesSettings(ServiceSettings):
    """Where the resumes service finds sample resumes, and how it stores its history."""

    legacy_env: ClassVar[dict[str, str]] = {"samples_dir": "MODELWORKS_SAMPLES_DIR"}

    samples_dir: Path | None = Field(
        default=None,
        description="A folder of `.txt` resumes `GET /api/samples` offers (file name = "
                    "category) beside the generated ones.",
    )
    history_journal: bool = Field(
        default=True,
        description="Answer once a prediction's history row is in the worker's local journal "
                    "(a process crash loses nothing; written to SQL moments later). False: "
                    "answer only after the row's commit (power-loss safe on PostgreSQL).",
    )
