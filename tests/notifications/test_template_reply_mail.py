"""A reply sent unedited from a response template reaches the resident's mailbox in the resident's language."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import ResponseTemplate
from tests.notifications.conftest import transition
from tests.notifications.test_resident_mail import REPORTER, mail_server, report_with_mail, send, text_of  # noqa: F401


def test_a_template_reply_is_mailed_in_vietnamese_to_a_vietnamese_reporter(client, keys, mail_server, send):  # noqa: F811
    template = db.session.scalar(select(ResponseTemplate).where(ResponseTemplate.status == "in_progress",
                                                                ResponseTemplate.category_id.is_(None)))
    vietnamese = template.translations["vi"]["body"]
    report_id, _ = report_with_mail(client, language="vi")
    transition(client, keys, report_id, "in_progress", who="admin", public_reply=template.body_ja)

    assert set(send()) == {"delivered"}
    in_progress = text_of(mail_server.to(REPORTER)[1])
    assert vietnamese in in_progress and template.body_ja not in in_progress
