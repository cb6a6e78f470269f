"""Sample resumes the inference page offers from a folder (the API offers generated ones)."""

from __future__ import annotations

from pathlib import Path


def folder_samples(folder: Path | None) -> dict[str, str]:
    """Every ``.txt`` file in ``folder`` (name without extension, underscores as spaces)."""
    if folder is None or not folder.is_dir():
        return {}
    return {path.stem.replace("_", " ").lower(): path.read_text(encoding="utf-8",
                                                                errors="replace")
            for path in sorted(folder.glob("*.txt"))}
