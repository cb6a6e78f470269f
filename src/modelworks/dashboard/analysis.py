"""Exploratory statistics of a resume data set (plain pandas, so they are testable alone)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# Words as a recruiter reads them: letters first, then letters or + # . (C++, C#, ASP.NET).
WORD_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z+#.]{1,}\b"


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows ``{resume, label, category}`` with word and character counts added."""
    data = pd.DataFrame(rows, columns=["resume", "label", "category"])
    data["words"] = [len(text.split()) for text in data["resume"]]
    data["characters"] = data["resume"].str.len()
    return data


def class_balance(data: pd.DataFrame) -> pd.DataFrame:
    """Resumes per category and their share, largest first."""
    counts = data["category"].value_counts().rename("resumes").to_frame()
    counts["share"] = (counts["resumes"] / counts["resumes"].sum()).round(4)
    return counts


def length_statistics(data: pd.DataFrame) -> pd.DataFrame:
    """Word-count statistics per category."""
    stats = data.groupby("category")["words"].describe()[["count", "mean", "50%", "min", "max"]]
    return stats.rename(columns={"50%": "median"}).round(1)


def top_terms(data: pd.DataFrame, per_category: int = 10) -> pd.DataFrame:
    """The words most characteristic of each category.

    A word scores by its share of the category's resumes times the log of how much more often
    it appears there than in the others' (smoothed document frequencies): common in the
    category and rare elsewhere, so the list shows what tells categories apart rather than
    what every resume says or what one odd resume says.
    """
    vectorizer = CountVectorizer(binary=True, stop_words=list(ENGLISH_STOP_WORDS), min_df=5,
                                 token_pattern=WORD_PATTERN)
    present = vectorizer.fit_transform(data["resume"])
    terms = np.asarray(vectorizer.get_feature_names_out())
    rows = []
    for category in sorted(data["category"].unique()):
        inside = (data["category"] == category).to_numpy()
        share_in = (np.asarray(present[inside].sum(axis=0)).ravel() + 1) / (inside.sum() + 2)
        share_out = (np.asarray(present[~inside].sum(axis=0)).ravel() + 1) / ((~inside).sum() + 2)
        score = share_in * np.log(share_in / share_out)
        best = np.argsort(-score)[:per_category]
        rows.append({"category": category, "top terms": ", ".join(terms[best])})
    return pd.DataFrame(rows).set_index("category")
