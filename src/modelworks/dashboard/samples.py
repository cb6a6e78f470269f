"""Sample resumes the inference page offers: one generated per category, plus a folder's."""

from __future__ import annotations

from pathlib import Path

from modelworks.services.resumes.generator import ResumeConfig, generate_resumes
from modelworks.services.resumes.vocabulary import CATEGORIES

_SEED = 7  # not the training seed, so the samples are resumes the model has not seen


def generated_samples() -> dict[str, str]:
    """One freshly generated resume per category, named ``generated: <category>``."""
    found: dict[str, str] = {}
    for text, label in generate_resumes(ResumeConfig(n_resumes=200, seed=_SEED)):
        found.setdefault(f"generated: {CATEGORIES[label]}", text)
    return dict(sorted(found.items()))


def folder_samples(folder: Path | None) -> dict[str, str]:
    """Every ``.txt`` file in ``folder`` (name without extension, underscores as spaces)."""
    if folder is None or not folder.is_dir():
        return {}
    return {path.stem.replace("_", " ").lower(): path.read_text(encoding="utf-8",
                                                                errors="replace")
            for path in sorted(folder.glob("*.txt"))}
