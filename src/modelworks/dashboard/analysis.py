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

    A word scores by how much more often it appears in the category's resumes than in the
    others' (ratio of smoothed document frequencies), among words in at least 5% of them, so
    the list shows what tells categories apart rather than what every resume says.
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
        score = np.where(share_in >= 0.05, share_in / share_out, 0.0)
        best = np.argsort(-score)[:per_category]
        rows.append({"category": category, "top terms": ", ".join(terms[best])})
    return pd.DataFrame(rows).set_index("category")
