"""The interests data set: reading and validating its three CSV files, and the user split.

A data set is a folder (or a zip archive of one) holding:

- ``interests.csv`` — ``id`` (UUID), ``label``: the interest catalogue;
- ``titles.csv`` — ``id`` (integer), ``title``: the content catalogue;
- ``users.csv`` — ``id`` (the user handle, a UUID), ``name``, ``type`` (``B2B`` or ``B2C``),
  ``consumed`` (space-separated title ids), ``interests`` (space-separated interest ids the
  user holds; the labels the model learns).
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from modelworks.core.errors import DataError
from modelworks.core.tabular import read_csv
from modelworks.services.interests.features import indicator_matrix
from modelworks.services.interests.generator import (
    ACCOUNT_TYPES,
    INTERESTS_FILE,
    TITLES_FILE,
    USERS_FILE,
    GeneratorConfig,
    SeedUser,
    generate,
    generated_with,
    generator_record,
)

MIN_USERS = 50
_MAX_ARCHIVE_BYTES = 4 << 30


@dataclass(frozen=True)
class Catalogue:
    """The interests a model can predict and the titles it reads, in column order."""

    interest_ids: list[str]
    interest_labels: list[str]
    title_ids: NDArray[np.int64]

    @property
    def n_interests(self) -> int:
        """Number of interests."""
        return len(self.interest_ids)

    @property
    def n_titles(self) -> int:
        """Number of titles."""
        return len(self.title_ids)

    def title_columns(self, title_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Column of each title id; -1 for ids the catalogue does not hold."""
        position = np.searchsorted(self.title_ids, title_ids)
        position = np.minimum(position, len(self.title_ids) - 1)
        return np.where(self.title_ids[position] == title_ids, position, -1)


@dataclass(frozen=True)
class InterestsData:
    """Users (handle, name, type), what they consumed and the interests they hold."""

    catalogue: Catalogue
    handles: list[str]
    names: list[str]
    b2b: NDArray[np.bool_]
    consumed: sparse.csr_matrix
    """users x titles, 1 where the user consumed the title."""
    interests: sparse.csr_matrix
    """users x interests, 1 where the user holds the interest."""

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.handles)

    def subset(self, rows: NDArray[np.int64]) -> InterestsData:
        """The users at ``rows``, in that order; the catalogue is kept whole."""
        return InterestsData(self.catalogue, [self.handles[i] for i in rows],
                             [self.names[i] for i in rows], self.b2b[rows],
                             self.consumed[rows], self.interests[rows])


def prepare_default_data(data_dir: Path, config: GeneratorConfig | None = None,
                         seed_users: list[SeedUser] | None = None) -> Path:
    """Generate the data set into ``data_dir/interests``.

    Without a config, data already there is kept whatever made it; with one, the data is made
    again unless it was generated from the same config and seed users.
    """
    target = data_dir / "interests"
    made = target / USERS_FILE
    if config is None and made.exists():
        return target
    wanted = config or GeneratorConfig()
    if not made.exists() or generated_with(target) != generator_record(wanted, seed_users):
        generate(wanted, target, seed_users)
    return target


def read_interests_data(source: bytes | Path) -> tuple[InterestsData, str]:
    """Parse and validate a data set from a folder, a zip file or zip bytes; data and sha256."""
    files = _files_from(source)
    digest = hashlib.sha256()
    for name in (INTERESTS_FILE, TITLES_FILE, USERS_FILE):
        digest.update(name.encode() + b"\0" + files[name])
    catalogue = _catalogue(files[INTERESTS_FILE], files[TITLES_FILE])
    return _users(files[USERS_FILE], catalogue), digest.hexdigest()


def _files_from(source: bytes | Path) -> dict[str, bytes]:
    wanted = (INTERESTS_FILE, TITLES_FILE, USERS_FILE)
    if isinstance(source, Path) and source.is_dir():
        missing = [name for name in wanted if not (source / name).is_file()]
        if missing:
            raise DataError(f"{source} lacks {', '.join(missing)}; an interests data set is "
                            f"{', '.join(wanted)}")
        return {name: (source / name).read_bytes() for name in wanted}
    if isinstance(source, Path):
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read {source}: {exc.strerror}") from exc
        return _files_from(raw)
    try:
        archive = zipfile.ZipFile(io.BytesIO(source))
    except zipfile.BadZipFile as exc:
        raise DataError("expected a folder or a zip archive holding "
                        f"{', '.join(wanted)}") from exc
    by_name = {Path(info.filename).name: info for info in archive.infolist() if not info.is_dir()}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise DataError(f"the archive lacks {', '.join(missing)}")
    if sum(by_name[name].file_size for name in wanted) > _MAX_ARCHIVE_BYTES:
        raise DataError("the archive unpacks to more than 4 GiB")
    return {name: archive.read(by_name[name]) for name in wanted}


def _uuid(text: str, where: str, column: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise DataError(f"{where}: {column} {text!r} is not a UUID", field=column) from exc


def _catalogue(interests_raw: bytes, titles_raw: bytes) -> Catalogue:
    interest_ids, labels = [], []
    for row in read_csv(interests_raw, ["id", "label"]):
        where = f"{INTERESTS_FILE} {row.where}"
        interest_ids.append(_uuid(row.values["id"], where, "id"))
        label = row.values["label"].strip()
        if not label:
            raise DataError(f"{where}: label is empty", field="label")
        labels.append(label)
    if len(set(interest_ids)) != len(interest_ids):
        raise DataError(f"{INTERESTS_FILE}: interest ids repeat", field="id")
    if len(interest_ids) < 2:
        raise DataError(f"{INTERESTS_FILE}: need at least two interests")
    title_ids = []
    for row in read_csv(titles_raw, ["id", "title"]):
        text = row.values["id"].strip()
        if not text.isdigit():
            raise DataError(f"{TITLES_FILE} {row.where}: id {text!r} is not a non-negative "
                            "integer", field="id")
        title_ids.append(int(text))
    ids = np.array(title_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    if len(ids) == 0 or (np.diff(ids[order]) == 0).any():
        raise DataError(f"{TITLES_FILE}: title ids must be present and unique", field="id")
    return Catalogue(interest_ids, labels, ids[order])


def _users(raw: bytes, catalogue: Catalogue) -> InterestsData:
    interest_column = {interest_id: i for i, interest_id in enumerate(catalogue.interest_ids)}
    handles: list[str] = []
    names: list[str] = []
    b2b: list[bool] = []
    title_rows: list[NDArray[np.int64]] = []
    interest_rows: list[list[int]] = []
    for row in read_csv(raw, ["id", "name", "type", "consumed", "interests"]):
        where = f"{USERS_FILE} {row.where}"
        values = row.values
        handles.append(_uuid(values["id"], where, "id"))
        names.append(values["name"].strip())
        if values["type"] not in ACCOUNT_TYPES:
            raise DataError(f"{where}: type {values['type']!r} is not B2B or B2C", field="type")
        b2b.append(values["type"] == "B2B")
        try:
            consumed = np.array(values["consumed"].split(), dtype=np.int64)
        except ValueError as exc:
            raise DataError(f"{where}: consumed must be space-separated title ids",
                            field="consumed") from exc
        columns = catalogue.title_columns(consumed)
        if (columns < 0).any():
            unknown = consumed[columns < 0][0]
            raise DataError(f"{where}: title id {unknown} is not in {TITLES_FILE}",
                            field="consumed")
        title_rows.append(columns)
        held = []
        for interest_id in values["interests"].split():
            column = interest_column.get(interest_id)
            if column is None:
                raise DataError(f"{where}: interest {interest_id!r} is not in {INTERESTS_FILE}",
                                field="interests")
            held.append(column)
        interest_rows.append(held)
    if len(handles) < MIN_USERS:
        raise DataError(f"{USERS_FILE}: {len(handles)} users; training needs at least "
                        f"{MIN_USERS}")
    if len(set(handles)) != len(handles):
        raise DataError(f"{USERS_FILE}: user ids repeat", field="id")
    consumed_matrix = indicator_matrix(title_rows, catalogue.n_titles)
    interests_matrix = indicator_matrix([np.array(r, dtype=np.int64) for r in interest_rows],
                                          catalogue.n_interests)
    return InterestsData(catalogue, handles, names, np.array(b2b), consumed_matrix,
                         interests_matrix)

