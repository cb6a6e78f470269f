"""What a version is: its manifest, and the hashes that prove its files are the registered ones."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from modelworks.core.errors import RegistryError

MANIFEST = "manifest.json"
_TRACKED_LIBRARIES = ("modelworks", "numpy", "scikit-learn", "scipy", "onnxruntime", "tokenizers")


@dataclass(frozen=True)
class Manifest:
    """What the registry knows about one immutable model version."""

    service: str
    version: int
    created_at: str
    files: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    data_sha256: str = ""
    n_rows: int = 0
    libraries: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @property
    def label(self) -> str:
        """``service vN``, as messages name a version."""
        return f"{self.service} v{self.version}"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_folder(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (by its path relative to it) and its sha256."""
    return {str(p.relative_to(folder)): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def check_folder(folder: Path, manifest: Manifest) -> None:
    """``RegistryError`` unless every file ``manifest`` lists is in ``folder`` with its hash."""
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise RegistryError(f"{manifest.label}: file {name} is missing")
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise RegistryError(f"{manifest.label}: file {name} cannot be read: "
                                f"{exc.strerror}") from exc
        if actual != expected:
            raise RegistryError(f"{manifest.label}: file {name} fails its sha256 check")


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model's behaviour depends on."""
    versions = {}
    for name in _TRACKED_LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions
