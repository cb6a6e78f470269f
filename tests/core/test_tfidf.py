"""``FittedTfidf`` gives what scikit-learn's fitted ``TfidfVectorizer`` gives, without it."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from modelworks.core.tfidf import FittedTfidf
from tests.conftest import REFERENCE_MOVIES

ODD_TEXTS = ["", "   ", "A", "I a", "Über-naïve café, 1984!\tTabs\nand  double  spaces",
             "the the the of and", "x" * 3, "Ok ok OK"]


def synopses() -> list[str]:
    with REFERENCE_MOVIES.open(encoding="utf-8") as handle:
        return [row["synopsis"] for row in csv.DictReader(handle)]


@pytest.mark.parametrize("options", [
    {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 2, "stop_words": "english"},
    {"ngram_range": (2, 3), "stop_words": "english"},
    {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 3,
     "max_features": 5000},
    {"analyzer": "char_wb", "ngram_range": (3, 3), "lowercase": False},
], ids=["word 1-2 sublinear", "word 2-3", "char_wb 2-5", "char_wb 3 cased"])
def test_the_transform_equals_scikit_learns(options: dict[str, object]) -> None:
    texts = synopses()
    fitted = TfidfVectorizer(**options).fit(texts[:300])
    replayed = FittedTfidf(fitted.vocabulary_, fitted.idf_,
                           analyzer=str(options.get("analyzer", "word")),
                           ngram_range=fitted.ngram_range, lowercase=fitted.lowercase,
                           sublinear_tf=fitted.sublinear_tf,
                           stop_words=fitted.get_stop_words())
    unseen = texts[300:] + ODD_TEXTS
    expected = fitted.transform(unseen).toarray()
    got = replayed.transform(unseen)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.toarray(), expected, rtol=1e-12, atol=1e-15)


def test_an_analyzer_it_does_not_replay_is_refused() -> None:
    with pytest.raises(ValueError, match="char"):
        FittedTfidf({}, np.ones(0), analyzer="char")


def test_serving_a_genres_model_does_not_import_scikit_learn(genres_registry: Path) -> None:
    # The cold start this module exists for: loading and ranking import no scikit-learn.
    code = ("import sys; from pathlib import Path; "
            "from modelworks.core.registry import Registry; "
            "from modelworks.services.genres.model import GenreClassifier; "
            f"registry = Registry(Path({str(genres_registry)!r})); "
            "folder = registry.verified_folder('genres', registry.live_version('genres')); "
            "model = GenreClassifier.load(folder); "
            "print(model.rank(['A cowboy rides into a frontier town.'], [None], 3)[0][0][0]); "
            "print('sklearn' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=False)
    assert found.returncode == 0, found.stderr
    genre, imported = found.stdout.split()
    assert genre.isalpha()  # a genre was ranked first
    assert imported == "False"
