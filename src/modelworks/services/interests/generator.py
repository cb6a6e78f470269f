"""A seeded generator of users, content and interests with a latent topic structure.

There is no public data for this service, so the default data set is generated. The world:

- ``n_topics`` latent topics. Every interest (a job-title-like label from Faker's ``job()``
  list) belongs to one topic and has a popularity (log-normal), so each topic holds popular
  and niche interests.
- Content titles are either *about one interest* (``specific_share`` of them) or general
  titles of a topic. Titles have a log-normal popularity too.
- A user is B2B or B2C. Their topic mix is a sparse Dirichlet draw whose base measure depends
  on the account type, so the two types prefer different topics. They truly hold 1-30
  interests (B2B users more on average), drawn without replacement in proportion to their topic
  mix times the interests' popularity, plus a little global-popularity noise.
- What a user consumed follows from the interests they hold, imperfectly: each consumption
  picks one held interest, then a title about it, or a general title of its topic, or (noise)
  any popular title.

Users are generated in chunks from per-chunk seeds, so memory stays bounded at a million users
and the output depends only on the seed and the sizes. The users of a seed file (``id,name,
type``) come first, with their handles, names and account types.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from faker.providers.company.en_US import Provider as CompanyWords
from faker.providers.job.en_US import Provider as JobTitles
from numpy.typing import NDArray

from modelworks.core.errors import DataError
from modelworks.core.progress import Progress, no_progress

MAX_INTERESTS_PER_USER = 30
ACCOUNT_TYPES = ("B2B", "B2C")
USERS_FILE, INTERESTS_FILE, TITLES_FILE, CONFIG_FILE = (
    "users.csv", "interests.csv", "titles.csv", "generator.json")
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
# Sampling tables: each row lists candidate titles in proportion to their popularity, so a
# draw is one random column (vectorised over millions of consumption events).
_TABLE_WIDTH = 64


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes and knobs of a generated data set; equal configs give byte-identical files."""

    n_users: int = 20_000
    n_interests: int = 500
    n_titles: int = 5_000
    n_topics: int = 40
    seed: int = 42
    b2b_share: float = 0.35
    specific_share: float = 0.6
    """Share of titles that are about one interest (the rest are general topic titles)."""
    on_interest: float = 0.55
    """Chance that a consumption is a title about the held interest that prompted it."""
    on_topic: float = 0.30
    """Chance that it is a general title of that interest's topic (else: popular noise)."""
    chunk_users: int = 50_000

    def validate(self) -> None:
        """Raise ``DataError`` for sizes the generator cannot honour."""
        if self.n_users < 1:
            raise DataError("--users must be at least 1", field="users")
        if not 2 * MAX_INTERESTS_PER_USER <= self.n_interests <= 4 * len(JobTitles.jobs):
            raise DataError(f"the number of interests must lie in "
                            f"[{2 * MAX_INTERESTS_PER_USER}, {4 * len(JobTitles.jobs)}]",
                            field="interests")
        if not 10 * self.n_topics <= self.n_titles:
            raise DataError("need at least ten titles per topic", field="titles")
        if not 1 <= self.n_topics <= self.n_interests:
            raise DataError("the number of topics must lie in [1, interests]", field="topics")


@dataclass(frozen=True)
class SeedUser:
    """A user who must appear in the generated data with this handle, name and type."""

    handle: str
    name: str
    account_type: str


def read_seed_users(path: Path) -> list[SeedUser]:
    """Users from a CSV with columns ``id,name,type`` (as in the original seed users file)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise DataError(f"cannot read seed users {path}: {exc.strerror}") from exc
    users = []
    for number, row in enumerate(rows, start=1):
        try:
            handle_id = str(uuid.UUID(row.get("id") or ""))
        except ValueError as exc:
            raise DataError(f"{path.name} row {number}: id is not a UUID") from exc
        account_type = (row.get("type") or "").strip()
        if account_type not in ACCOUNT_TYPES:
            raise DataError(f"{path.name} row {number}: type must be B2B or B2C")
        users.append(SeedUser(handle_id, (row.get("name") or "").strip(), account_type))
    if len({u.handle for u in users}) != len(users):
        raise DataError(f"{path.name}: user ids repeat")
    return users


@dataclass(frozen=True)
class World:
    """The fixed part of a data set: topics, interests and titles."""

    interest_ids: list[str]
    interest_labels: list[str]
    interest_topic: NDArray[np.int64]
    interest_popularity: NDArray[np.float64]
    titles: list[str]
    topic_prior: NDArray[np.float64]
    """(2, n_topics): the Dirichlet parameters of B2B and of B2C users."""
    interest_table: NDArray[np.int64]
    topic_table: NDArray[np.int64]
    global_table: NDArray[np.int64]


def generate(config: GeneratorConfig, target: Path, seed_users: list[SeedUser] | None = None,
             progress: Progress = no_progress) -> Path:
    """Write a data set into ``target`` (replaced atomically as a whole folder)."""
    config.validate()
    seeds = list(seed_users or [])
    if len(seeds) > config.n_users:
        raise DataError(f"{len(seeds)} seed users do not fit in --users {config.n_users}",
                        field="users")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        world = build_world(config)
        _write_catalogues(world, staging)
        with (staging / USERS_FILE).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["id", "name", "type", "consumed", "interests"])
            done = 0
            for rows in _user_chunks(config, world, seeds):
                writer.writerows(rows)
                done += len(rows)
                progress(f"generated {done:,} users", done / config.n_users)
        (staging / CONFIG_FILE).write_text(json.dumps(generator_record(config, seeds), indent=2)
                                           + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def generator_record(config: GeneratorConfig, seed_users: list[SeedUser] | None
                     ) -> dict[str, Any]:
    """What ``generator.json`` records: the config and the seed users, in full."""
    return {"config": asdict(config),
            "seed_users": [asdict(s) for s in seed_users or []]}


def generated_with(folder: Path) -> dict[str, Any] | None:
    """The record of the data generated into ``folder``, if any can be read."""
    try:
        record: dict[str, Any] = json.loads((folder / CONFIG_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record


def build_world(config: GeneratorConfig) -> World:
    """Topics, interests and titles from the seed (independent of the number of users)."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0]))
    labels = _interest_labels(rng, config.n_interests)
    interest_ids = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in labels]
    topic = rng.permutation(config.n_interests) % config.n_topics
    popularity = rng.lognormal(0.0, 1.2, config.n_interests)

    n_specific = round(config.n_titles * config.specific_share)
    about = rng.permutation(n_specific) % config.n_interests
    general_topic = rng.permutation(config.n_titles - n_specific) % config.n_topics
    title_popularity = rng.lognormal(0.0, 1.0, config.n_titles)
    titles = _title_texts(rng, [labels[i] for i in about], config.n_titles - n_specific)

    title_ids = np.arange(config.n_titles)
    interest_table = np.stack([
        _popularity_table(rng, title_ids[:n_specific][about == i], title_popularity)
        for i in range(config.n_interests)])
    topic_table = np.stack([
        _popularity_table(rng, title_ids[n_specific:][general_topic == k], title_popularity)
        for k in range(config.n_topics)])
    global_table = _popularity_table(rng, title_ids, title_popularity, width=4096)

    # Each account type favours its own topics; a total concentration of 1.5 over 40 topics
    # gives most users two or three dominant topics.
    preference = rng.lognormal(0.0, 1.0, (2, config.n_topics))
    topic_prior = 1.5 * preference / preference.sum(axis=1, keepdims=True)
    return World(interest_ids, labels, topic, popularity, titles, topic_prior,
                 interest_table, topic_table, global_table)


def _interest_labels(rng: np.random.Generator, n: int) -> list[str]:
    jobs = sorted(set(JobTitles.jobs))
    variants = jobs + [f"{grade} {job.lower()}" for grade in ("Senior", "Lead", "Trainee")
                       for job in jobs]
    picked = rng.choice(len(jobs) if n <= len(jobs) else len(variants), size=n, replace=False)
    return [variants[i] for i in picked]


def _title_texts(rng: np.random.Generator, about_labels: list[str], n_general: int) -> list[str]:
    first, second, third = (list(words) for words in CompanyWords.catch_phrase_words)
    n = len(about_labels) + n_general
    picks = np.stack([rng.integers(len(w), size=n) for w in (first, second, third)], axis=1)
    phrases = [f"{first[a]} {second[b]} {third[c]}" for a, b, c in picks]
    texts = [f"{label}: {phrase.lower()}" for label, phrase in
             zip(about_labels, phrases, strict=False)]
    texts += phrases[len(about_labels):]
    seen: dict[str, int] = {}
    unique = []
    for text in texts:
        seen[text] = seen.get(text, 0) + 1
        unique.append(text if seen[text] == 1 else f"{text} (part {seen[text]})")
    return unique


def _popularity_table(rng: np.random.Generator, candidates: NDArray[np.int64],
                      popularity: NDArray[np.float64], width: int = _TABLE_WIDTH
                      ) -> NDArray[np.int64]:
    weights = popularity[candidates]
    return rng.choice(candidates, size=width, p=weights / weights.sum())


def _write_catalogues(world: World, folder: Path) -> None:
    with (folder / INTERESTS_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "label"])
        writer.writerows(zip(world.interest_ids, world.interest_labels, strict=True))
    with (folder / TITLES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "title"])
        writer.writerows(enumerate(world.titles))


def _user_chunks(config: GeneratorConfig, world: World, seeds: list[SeedUser]
                 ) -> Iterator[list[list[str]]]:
    chunk_seeds = np.random.SeedSequence([config.seed, 1]).spawn(
        -(-config.n_users // config.chunk_users))
    for number, chunk_seed in enumerate(chunk_seeds):
        start = number * config.chunk_users
        size = min(config.chunk_users, config.n_users - start)
        yield _user_rows(config, world, np.random.default_rng(chunk_seed),
                         seeds[start:start + size], size)


def _user_rows(config: GeneratorConfig, world: World, rng: np.random.Generator,
               seeds: list[SeedUser], size: int) -> list[list[str]]:
    b2b = rng.random(size) < config.b2b_share
    b2b[:len(seeds)] = [s.account_type == "B2B" for s in seeds]
    held = _held_interests(world, rng, b2b)
    consumed = _consumption(config, world, rng, held, b2b)

    handles = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(size)]
    syllables = rng.integers(len(_SYLLABLES), size=(size, 3))
    names = ["".join(_SYLLABLES[s] for s in row).capitalize() for row in syllables]
    for position, seed in enumerate(seeds):
        handles[position], names[position] = seed.handle, seed.name
    ids = world.interest_ids
    return [
        [handles[u], names[u], "B2B" if b2b[u] else "B2C",
         " ".join(map(str, consumed[u])), " ".join(ids[i] for i in held[u])]
        for u in range(size)
    ]


def _held_interests(world: World, rng: np.random.Generator, b2b: NDArray[np.bool_]
                    ) -> list[NDArray[np.int64]]:
    size = len(b2b)
    n_topics = world.topic_prior.shape[1]
    mix = rng.gamma(world.topic_prior[np.where(b2b, 0, 1)])
    mix /= mix.sum(axis=1, keepdims=True)
    # P(interest | user) before sampling: the user's topic mix spread over each topic's
    # interests by popularity, with 3% of the mass on globally popular interests (noise).
    within_topic = np.zeros((n_topics, len(world.interest_ids)))
    within_topic[world.interest_topic, np.arange(len(world.interest_ids))] = (
        world.interest_popularity)
    within_topic /= within_topic.sum(axis=1, keepdims=True)
    overall = world.interest_popularity / world.interest_popularity.sum()
    weights = 0.97 * (mix @ within_topic) + 0.03 * overall
    # Gumbel top-k: the k largest of log-weight + Gumbel noise are a draw without replacement.
    keys = np.log(weights) - np.log(-np.log(rng.random(weights.shape)))
    top = np.argpartition(-keys, MAX_INTERESTS_PER_USER, axis=1)[:, :MAX_INTERESTS_PER_USER]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, axis=1)), axis=1)
    mean_extra = np.where(b2b, 9.0, 5.0)
    dispersion = 1.5
    count = 1 + rng.negative_binomial(dispersion, dispersion / (dispersion + mean_extra))
    count = np.minimum(count, MAX_INTERESTS_PER_USER)
    return [np.sort(top[u, :count[u]]) for u in range(size)]


def _consumption(config: GeneratorConfig, world: World, rng: np.random.Generator,
                 held: list[NDArray[np.int64]], b2b: NDArray[np.bool_]
                 ) -> list[NDArray[np.int64]]:
    size = len(held)
    n_events = np.clip(np.round(rng.lognormal(np.log(np.where(b2b, 24.0, 18.0)), 0.7)),
                       2, 300).astype(np.int64)
    user = np.repeat(np.arange(size), n_events)
    held_count = np.array([len(h) for h in held])
    held_start = np.concatenate([[0], np.cumsum(held_count)[:-1]])
    held_flat = np.concatenate(held)
    pick = (rng.random(len(user)) * held_count[user]).astype(np.int64)
    interest = held_flat[held_start[user] + pick]
    column = rng.integers(_TABLE_WIDTH, size=len(user))
    kind = rng.random(len(user))
    title = np.where(
        kind < config.on_interest, world.interest_table[interest, column],
        np.where(kind < config.on_interest + config.on_topic,
                 world.topic_table[world.interest_topic[interest], column],
                 world.global_table[rng.integers(len(world.global_table), size=len(user))]))
    pairs = np.unique(user * len(world.titles) + title)
    owner, titles = np.divmod(pairs, len(world.titles))
    bounds = np.searchsorted(owner, np.arange(size + 1))
    return [titles[bounds[u]:bounds[u + 1]] for u in range(size)]
