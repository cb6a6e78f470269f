"""Feedback on served predictions: the ``feedback`` table, checked against the prediction log."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from modelworks.server.db import Feedback, Prediction


class FeedbackStore:
    """``FeedbackSink`` of one service."""

    def __init__(self, engine: Engine, service: str) -> None:
        self.engine = engine
        self.service = service

    def served(self, request_id: str) -> bool:
        """Whether the prediction log holds an answer of this service with ``request_id``."""
        with Session(self.engine) as session:
            found = session.scalar(select(Prediction.id).where(
                Prediction.request_id == request_id, Prediction.service == self.service
            ).limit(1))
        return found is not None

    def record(self, request_id: str, item: str, score: int, key_id: str) -> None:
        """One rating row."""
        with Session(self.engine) as session, session.begin():
            session.add(Feedback(service=self.service, request_id=request_id, item=item,
                                 score=score, key_id=key_id[:16]))
