"""A seeded generator of resumes for the 14 job categories.

Each resume has the sections real ones have (summary, technical skills, experience with
employers and dates, education). Words come mostly from the resume's own category, partly from
its neighbouring roles (``NEIGHBOURS``) and partly from skills every IT resume lists; some
careers also pass through a neighbouring role. That overlap is what keeps a bag-of-words
baseline well below a perfect score, as on real resumes.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from modelworks.services.resumes.vocabulary import (
    CATEGORIES,
    DEGREES,
    GENERIC_SKILLS,
    NEIGHBOURS,
    ROLES,
    SUMMARY_CLOSERS,
    SUMMARY_OPENERS,
)

if TYPE_CHECKING:
    from faker import Faker

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ResumeConfig:
    """Size, seed and how much a resume borrows from other roles."""

    n_resumes: int = 1600
    seed: int = 42
    own_share: float = 0.35
    """Chance that a skill mentioned comes from the resume's own category."""
    neighbour_share: float = 0.35
    """Chance that it comes from a neighbouring role (the rest: generic IT skills)."""
    career_switch: float = 0.5
    """Chance that an earlier job was in a neighbouring role."""


def generate_resumes(config: ResumeConfig) -> list[tuple[str, int]]:
    """``(resume text, label id)`` pairs; the same config always gives the same list."""
    from faker import Faker  # generating only: a quarter second of a server's start

    rng = np.random.default_rng(config.seed)
    fake = Faker("en_US")
    fake.seed_instance(config.seed)
    # Mildly unbalanced classes, as in real collections.
    weights = rng.uniform(0.6, 1.4, len(CATEGORIES))
    labels = rng.choice(len(CATEGORIES), size=config.n_resumes, p=weights / weights.sum())
    return [(_resume(rng, fake, config, CATEGORIES[label]), int(label)) for label in labels]


def resumes_csv(rows: list[tuple[str, int]]) -> bytes:
    """The training CSV: ``resume,label``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["resume", "label"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _skill(rng: np.random.Generator, config: ResumeConfig, category: str) -> str:
    draw = rng.random()
    if draw < config.own_share:
        return _pick(rng, ROLES[category].skills)
    if draw < config.own_share + config.neighbour_share:
        return _pick(rng, ROLES[_pick(rng, NEIGHBOURS[category])].skills)
    return _pick(rng, GENERIC_SKILLS)


def _resume(rng: np.random.Generator, fake: Faker, config: ResumeConfig, category: str) -> str:
    role = ROLES[category]
    years = int(rng.integers(2, 16))
    title = _pick(rng, role.titles)
    lines = ["SUMMARY", _pick(rng, SUMMARY_OPENERS).format(years=years, title=title) + "."]
    for _ in range(int(rng.integers(2, 5))):
        named = ", ".join(_skill(rng, config, category) for _ in range(3))
        lines.append(f"Experience with {named}.")
    lines.append(_pick(rng, SUMMARY_CLOSERS))
    lines += ["", "TECHNICAL SKILLS"]
    skills = dict.fromkeys(_skill(rng, config, category) for _ in range(int(rng.integers(8, 15))))
    lines.append(", ".join(skills))
    lines += ["", "PROFESSIONAL EXPERIENCE"]
    end_year = 2025 - int(rng.integers(0, 3))
    for job in range(int(rng.integers(2, 5))):
        in_role = category
        if job > 0 and rng.random() < config.career_switch:
            in_role = _pick(rng, NEIGHBOURS[category])
        start_year = end_year - int(rng.integers(1, 5))
        until = "Present" if job == 0 else f"{_pick(rng, _MONTHS)} {end_year}"
        lines.append(f"{_pick(rng, ROLES[in_role].titles)} | {fake.company()}, {fake.city()} | "
                     f"{_pick(rng, _MONTHS)} {start_year} - {until}")
        for _ in range(int(rng.integers(3, 7))):
            duty = _pick(rng, ROLES[in_role].duties).format(skill=_skill(rng, config, in_role))
            lines.append(f"- {duty[0].upper()}{duty[1:]}")
        environment = dict.fromkeys(_skill(rng, config, in_role)
                                    for _ in range(int(rng.integers(4, 9))))
        lines.append("Environment: " + ", ".join(environment))
        end_year = start_year
    lines += ["", "EDUCATION",
              f"{_pick(rng, DEGREES)}, University of {fake.city()}, {end_year - 1}"]
    return "\n".join(lines)


_SAMPLES_SEED = 7  # not the default data's seed, so no model was trained on these


@functools.cache
def folder_samples(folder: Path | None) -> dict[str, str]:
    """Every ``.txt`` resume in ``folder``, named by file (underscores as spaces)."""
    if folder is None or not folder.is_dir():
        return {}
    return {path.stem.replace("_", " ").lower(): path.read_text(encoding="utf-8",
                                                                errors="replace")
            for path in sorted(folder.glob("*.txt"))}


def unseen_samples() -> dict[str, str]:
    """One generated resume per category, in label order, that the default data does not hold."""
    from modelworks.services.resumes.vocabulary import CATEGORIES

    found: dict[int, str] = {}
    for text, label in generate_resumes(ResumeConfig(n_resumes=200, seed=_SAMPLES_SEED)):
        found.setdefault(label, text)
    return {CATEGORIES[label]: found[label] for label in sorted(found)}
