"""MovieLens-shaped data: reading both file layouts, the default data set, the user split.

Two layouts of the same three tables are accepted, as a folder or a zip archive of one:

- RecBole atomic files (how ml-100k ships inside the ``recbole`` wheel): ``*.inter``,
  ``*.user``, ``*.item``, tab-separated, UTF-8, with a ``name:type`` header;
- the original GroupLens files: ``u.data`` (tab-separated), ``u.user`` and ``u.item``
  (``|``-separated, latin-1), without headers.

Movies listed twice under the same title and year (ml-100k has 18 such pairs) are merged into
one, so their ratings count together and a title is never recommended twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from modelworks.core.errors import DataError
from modelworks.core.packages import download_wheels, read_wheel_member

OCCUPATIONS = (
    "administrator", "artist", "doctor", "educator", "engineer", "entertainment", "executive",
    "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none", "other",
    "programmer", "retired", "salesman", "scientist", "student", "technician", "writer",
)
GENDERS = ("M", "F", "O")
MIN_AGE, MAX_AGE = 1, 120
LIKED_RATING = 4.0
MIN_USERS = 20
RECBOLE_PACKAGE = "recbole==1.2.1"
RECBOLE_FOLDER = "recbole/dataset_example/ml-100k/"
# The 19 genre flags of GroupLens u.item, in column order (u.genre).
GROUPLENS_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)
_MAX_ARCHIVE_BYTES = 1 << 30
_REST = "\0rest"  # the fields after the named columns of a GroupLens line


@dataclass(frozen=True)
class MovieLens:
    """Users with demographics, movies with titles, and ratings as index arrays."""

    user_ids: list[str]
    ages: NDArray[np.int64]
    genders: list[str]
    occupations: list[str]
    titles: list[str]
    years: list[int | None]
    genres: list[list[str]]
    rating_user: NDArray[np.int64]
    rating_item: NDArray[np.int64]
    rating_value: NDArray[np.float32]

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of movies."""
        return len(self.titles)

    def liked(self) -> NDArray[np.bool_]:
        """Users x movies: True where the user rated the movie 4 or more."""
        matrix = np.zeros((self.n_users, self.n_items), dtype=bool)
        keep = self.rating_value >= LIKED_RATING
        matrix[self.rating_user[keep], self.rating_item[keep]] = True
        return matrix

    def subset_users(self, index: NDArray[np.int64]) -> MovieLens:
        """The users at ``index`` (in that order) with their ratings; every movie is kept."""
        position = np.full(self.n_users, -1, dtype=np.int64)
        position[index] = np.arange(len(index))
        keep = position[self.rating_user] >= 0
        return MovieLens(
            user_ids=[self.user_ids[i] for i in index], ages=self.ages[index],
            genders=[self.genders[i] for i in index],
            occupations=[self.occupations[i] for i in index],
            titles=self.titles, years=self.years, genres=self.genres,
            rating_user=position[self.rating_user[keep]], rating_item=self.rating_item[keep],
            rating_value=self.rating_value[keep],
        )


# -- reading ------------------------------------------------------------------------------------

def read_movielens(source: bytes | Path) -> tuple[MovieLens, str]:
    """Parse either layout from a folder, a zip file or zip bytes; returns data and its sha256."""
    files = _files_from(source)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    if _find(files, ".inter") is not None:
        tables = _atomic_tables(files)
    elif _find(files, "u.data") is not None:
        tables = _grouplens_tables(files)
    else:
        raise DataError("no MovieLens files found: expected ml-100k.inter/.user/.item (RecBole "
                        "layout) or u.data, u.user, u.item (GroupLens layout)")
    return _assemble(*tables), digest.hexdigest()


Table = list[dict[str, str]]


def _files_from(source: bytes | Path) -> dict[str, bytes]:
    if isinstance(source, Path):
        if source.is_dir():
            return {p.name: p.read_bytes() for p in sorted(source.iterdir()) if p.is_file()
                    and p.suffix in (".inter", ".user", ".item", ".data", "")}
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read {source}: {exc.strerror}") from exc
        return _files_from(raw)
    try:
        archive = zipfile.ZipFile(io.BytesIO(source))
    except zipfile.BadZipFile as exc:
        raise DataError("movies training data must be a folder or a zip archive of the "
                        "MovieLens files") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > _MAX_ARCHIVE_BYTES:
            raise DataError("the archive unpacks to more than 1 GiB")
        wanted = [m for m in members if m.filename.rsplit("/", 1)[-1].startswith("u.")
                  or m.filename.endswith((".inter", ".user", ".item"))]
        return {m.filename.rsplit("/", 1)[-1]: archive.read(m) for m in wanted}


def _find(files: Mapping[str, bytes], suffix: str) -> str | None:
    matches = sorted(name for name in files if name.endswith(suffix))
    return matches[0] if matches else None


def _atomic_tables(files: Mapping[str, bytes]) -> tuple[Table, Table, Table]:
    tables = []
    for suffix, required in ((".inter", ("user_id", "item_id", "rating")),
                             (".user", ("user_id", "age", "gender", "occupation")),
                             (".item", ("item_id", "movie_title"))):
        name = _find(files, suffix)
        if name is None:
            raise DataError(f"the RecBole layout needs a {suffix} file beside the .inter file")
        tables.append(_read_atomic(name, files[name], required))
    return tables[0], tables[1], tables[2]


def _read_atomic(name: str, raw: bytes, required: tuple[str, ...]) -> Table:
    lines = _decode(name, raw, "utf-8").splitlines()
    if not lines:
        raise DataError(f"{name} is empty")
    header = [column.split(":", 1)[0].strip() for column in lines[0].split("\t")]
    missing = [column for column in required if column not in header]
    if missing:
        raise DataError(f"{name} lacks column {', '.join(missing)} (header: {lines[0][:200]})",
                        field=missing[0])
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        values = line.split("\t")
        if len(values) != len(header):
            raise DataError(f"{name} line {number} has {len(values)} fields, the header "
                            f"has {len(header)}")
        rows.append(dict(zip(header, values, strict=True)))
    return rows


def _grouplens_tables(files: Mapping[str, bytes]) -> tuple[Table, Table, Table]:
    for name in ("u.data", "u.user", "u.item"):
        if name not in files:
            raise DataError(f"the GroupLens layout needs {name} beside u.data")
    ratings = _split_lines("u.data", files["u.data"], "\t", ("user_id", "item_id", "rating"),
                           min_fields=3)
    users = _split_lines("u.user", files["u.user"], "|",
                         ("user_id", "age", "gender", "occupation"), min_fields=4)
    items = _split_lines("u.item", files["u.item"], "|", ("item_id", "movie_title",
                         "release_date"), min_fields=2)
    for row in items:
        flags = row.pop(_REST, "").split("|")[2:]  # after the video date and the IMDb URL
        row["class"] = " ".join(g for g, f in zip(GROUPLENS_GENRES, flags, strict=False)
                                if f.strip() == "1")
        date = row.get("release_date", "").strip()
        row["release_year"] = date[-4:] if len(date) >= 4 else ""
    return ratings, users, items


def _split_lines(name: str, raw: bytes, separator: str, columns: tuple[str, ...],
                 min_fields: int) -> Table:
    rows = []
    for number, line in enumerate(_decode(name, raw, "latin-1").splitlines(), start=1):
        if not line.strip():
            continue
        values = line.split(separator)
        if len(values) < min_fields:
            raise DataError(f"{name} line {number} has {len(values)} fields, expected at least "
                            f"{min_fields} separated by {separator!r}")
        row = dict(zip(columns, values, strict=False))
        row[_REST] = separator.join(values[len(columns):])
        rows.append(row)
    return rows


def _decode(name: str, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(f"{name} is not {encoding} text (byte {exc.start})") from exc


def _assemble(ratings: Table, users: Table, items: Table) -> MovieLens:
    user_ids: list[str] = []
    ages: list[int] = []
    genders: list[str] = []
    occupations: list[str] = []
    user_position: dict[str, int] = {}
    for row in users:
        user_id = row["user_id"].strip()
        if user_id in user_position:
            raise DataError(f"user {user_id} is listed twice", field="user_id")
        age = _integer(row["age"], f"age of user {user_id}")
        if not MIN_AGE <= age <= MAX_AGE:
            raise DataError(f"age of user {user_id} is {age}, outside {MIN_AGE}-{MAX_AGE}",
                            field="age")
        gender = row["gender"].strip().upper()
        if gender not in GENDERS:
            raise DataError(f"gender of user {user_id} is {row['gender']!r}; expected one of "
                            f"{', '.join(GENDERS)}", field="gender")
        occupation = row["occupation"].strip().lower()
        if occupation not in OCCUPATIONS:
            raise DataError(f"occupation of user {user_id} is {row['occupation']!r}; expected "
                            f"one of {', '.join(OCCUPATIONS)}", field="occupation")
        user_position[user_id] = len(user_ids)
        user_ids.append(user_id)
        ages.append(age)
        genders.append(gender)
        occupations.append(occupation)
    if len(user_ids) < MIN_USERS:
        raise DataError(f"training needs at least {MIN_USERS} users, the data has {len(user_ids)}")

    titles: list[str] = []
    years: list[int | None] = []
    genres: list[list[str]] = []
    item_position: dict[str, int] = {}
    by_title_year: dict[tuple[str, int | None], int] = {}
    for row in items:
        item_id = row["item_id"].strip()
        if item_id in item_position:
            raise DataError(f"movie {item_id} is listed twice", field="item_id")
        title = row["movie_title"].strip()
        year = _year(row.get("release_year", ""))
        merged = by_title_year.setdefault((title, year), len(titles))
        if merged == len(titles):
            titles.append(title)
            years.append(year)
            genres.append(row.get("class", "").split())
        item_position[item_id] = merged

    n = len(ratings)
    rating_user = np.empty(n, dtype=np.int64)
    rating_item = np.empty(n, dtype=np.int64)
    rating_value = np.empty(n, dtype=np.float32)
    for i, row in enumerate(ratings):
        user = user_position.get(row["user_id"].strip())
        item = item_position.get(row["item_id"].strip())
        if user is None or item is None:
            which = "user" if user is None else "movie"
            raise DataError(f"rating {i + 1} names {which} "
                            f"{row['user_id' if user is None else 'item_id']!r}, which is not "
                            f"in the {which}s file")
        value = _number(row["rating"], f"rating {i + 1}")
        if not 0 <= value <= 5:
            raise DataError(f"rating {i + 1} is {value}, outside 0-5", field="rating")
        rating_user[i], rating_item[i], rating_value[i] = user, item, value
    if not (rating_value >= LIKED_RATING).any():
        raise DataError("no rating is 4 or more, so nothing can be learned about liked movies")
    return MovieLens(user_ids, np.array(ages, dtype=np.int64), genders, occupations, titles,
                     years, genres, rating_user, rating_item, rating_value)


def _integer(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError as exc:
        raise DataError(f"{what} is {value!r}, not an integer") from exc


def _number(value: str, what: str) -> float:
    try:
        return float(value.strip())
    except ValueError as exc:
        raise DataError(f"{what} is {value!r}, not a number") from exc


def _year(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


# -- default data -------------------------------------------------------------------------------

def prepare_default_data(data_dir: Path) -> Path:
    """MovieLens 100k from the ``recbole`` wheel (read as an archive, never imported)."""
    target = data_dir / "movies" / "ml-100k"
    if (target / "ml-100k.inter").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ml-100k-", dir=target.parent))
    try:
        with tempfile.TemporaryDirectory() as downloads:
            wheel = download_wheels([RECBOLE_PACKAGE], Path(downloads))["recbole"]
            for suffix in ("inter", "user", "item"):
                name = f"ml-100k.{suffix}"
                (staging / name).write_bytes(read_wheel_member(wheel, RECBOLE_FOLDER + name))
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
