"""Conversations and surveys: what two submissions at once leave behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from kassa import get_state
from kassa.db import Customer, Invoice, SupportTask, Survey
from kassa.services import conversations
from kassa.services.customer_service import ServiceError
from tests.factories import make_invoice


def test_two_answers_to_one_survey_at_once_keep_the_first(app: Flask) -> None:
    """Both pages showed the survey unanswered; the second answer to arrive is refused and
    changes nothing (no second follow-up task either)."""
    state = get_state(app)
    now = datetime.now(UTC)
    with state.db.session() as db:
        invoice = db.get_one(Invoice, make_invoice(app))
        customer = db.get_one(Customer, invoice.customer_id)
        survey_id = conversations.send_survey(db, customer, "thread", 1, channel="message",
                                              agent="Aino", now=now).id
    with state.db.session() as first, state.db.session() as second:
        early, late = first.get_one(Survey, survey_id), second.get_one(Survey, survey_id)
        conversations.answer_survey(first, early, resolved=False, recommend=3, advisor=4,
                                    overall=2, comment="Ei auttanut", now=now)
        first.commit()
        with pytest.raises(ServiceError) as refused:
            conversations.answer_survey(second, late, resolved=True, recommend=10,
                                        advisor=10, overall=10, comment="", now=now)
        assert refused.value.code == "service.survey_answered"
        second.rollback()
    with state.db.session() as db:
        kept = db.get_one(Survey, survey_id)
        assert (kept.resolved, kept.recommend, kept.comment) == (False, 3, "Ei auttanut")
        assert db.scalar(select(func.count()).select_from(SupportTask).where(
            SupportTask.kind == "survey_followup")) == 1
