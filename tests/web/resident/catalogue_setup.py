"""A city that marks road damage urgent, gives its road department a phone and says what it does not take."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import Category, Department, Jurisdiction

PHONE_NUMBER = "025-552-1511"
NOT_TAKEN_VI = "Chúng tôi không nhận báo cáo về tuyết hoặc đất tư nhân."
NOTICE_VI = "Nếu ổ gà làm xe ngã, hãy gọi điện ngay."


def mark_road_damage_urgent() -> None:
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "990019"))
    jurisdiction.not_taken_ja = "雪の情報、私有地のことは受け付けていません。"
    jurisdiction.translations = {"vi": {"not_taken": NOT_TAKEN_VI}}
    road = db.session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id, Department.code == "road"))
    road.phone = PHONE_NUMBER
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id,
                                                        Category.code == "road_damage"))
    category.urgent = True
    category.notice_ja = "穴で転んだ人がいる場合は、すぐに電話してください。"
    category.translations = {**(category.translations or {}), "vi": {**(category.translations or {}).get("vi", {}),
                                                                      "notice": NOTICE_VI}}
    db.session.commit()
