"""User features: what they consumed (title columns) and their account type."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

N_EXTRA = 3
"""Columns after the titles: B2B, B2C (together the intercept) and log activity."""


def indicator_matrix(rows: list[NDArray[np.int64]], n_columns: int) -> sparse.csr_matrix:
    """Rows x columns 0/1 matrix from each row's column indices (duplicates collapse)."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                               shape=(len(rows), n_columns))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def linear_features(consumed: sparse.csr_matrix, b2b: NDArray[np.bool_]) -> sparse.csr_matrix:
    """Title indicators, then one column per account type and log(1 + titles consumed)."""
    activity = np.log1p(np.asarray(consumed.sum(axis=1)).ravel()) / 4.0
    extra = np.stack([b2b, ~b2b, activity], axis=1).astype(np.float32)
    return sparse.hstack([consumed, sparse.csr_matrix(extra)], format="csr", dtype=np.float32)


def inverse_document_frequency(consumed: sparse.csr_matrix) -> NDArray[np.float32]:
    """Smoothed idf of each title over the users of ``consumed``."""
    users_per_title = np.asarray((consumed > 0).sum(axis=0)).ravel()
    idf: NDArray[np.float32] = (np.log((1 + consumed.shape[0]) / (1 + users_per_title))
                                + 1).astype(np.float32)
    return idf


def tfidf_rows(consumed: sparse.csr_matrix, idf: NDArray[np.float32]) -> sparse.csr_matrix:
    """Rows weighted by idf and scaled to unit length (empty rows stay zero)."""
    weighted = sparse.csr_matrix(consumed.multiply(idf[np.newaxis, :]), dtype=np.float32)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted, dtype=np.float32)
