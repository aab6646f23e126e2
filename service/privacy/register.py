"""The 個人情報ファイル簿 entry of a jurisdiction's report file, derived from the schema and the settings.

記録項目 come from :data:`service.privacy.personal_data.PERSONAL_FIELDS` (the
declaration the purge and the rights functions use), 保有期間 from the
jurisdiction's retention days, 閲覧できる者 from the staff roles and their
department scopes (service/domain/access.py), 提供先 from the subscribers that receive
personal data. What cannot be read from the code (the purpose, the legal
basis) is the service's fixed wording.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.retention import retention_days
from service.models import ROLES, Jurisdiction, Report, Subscriber
from service.privacy.personal_data import PERSONAL_FIELDS, Readers

CHANNELS = {"app": "スマートフォンアプリ・ウェブの通報フォーム", "open311": "Open311 GeoReport v2 の連携システム",
            "line": "LINE公式アカウント"}
ROLE_LABELS = {"admin": "管理者", "manager": "課長級（管理職）", "staff": "担当職員", "viewer": "閲覧職員"}


def _readers(readers: Readers) -> str:
    if readers is Readers.NOBODY:
        return "職員の画面には表示しない（照合にのみ使用）"
    roles = [role for role in ROLES if readers is Readers.STAFF or role == "admin"]
    # Below admin, staff who belong to a department see only its reports (access.department_scoped).
    return "、".join(f"{ROLE_LABELS.get(role, role)}（{'自治体全体' if role == 'admin' else '担当課の通報のみ'}）"
                    for role in roles)


def register(session: Session, jurisdiction: Jurisdiction, default_days: int) -> dict[str, Any]:
    """The entry as a mapping of the register's headings (in Japanese) to their values."""
    days = retention_days(jurisdiction, default_days)
    reports = session.scalar(select(func.count()).select_from(Report).where(Report.jurisdiction_id == jurisdiction.id))
    with_contact = session.scalar(select(func.count()).select_from(Report).where(
        Report.jurisdiction_id == jurisdiction.id,
        (Report.reporter_email.isnot(None)) | (Report.reporter_phone.isnot(None)) | (Report.reporter_name.isnot(None))))
    push = session.scalar(select(func.count()).select_from(Subscriber).where(
        Subscriber.jurisdiction_id == jurisdiction.id, Subscriber.kind == "push_gateway", Subscriber.active.is_(True)))
    channels = sorted({channel for f in PERSONAL_FIELDS for channel in f.collected_by}, key=list(CHANNELS).index)
    recipients = ["なし（庁外への提供は行わない）"] if not push else [
        f"端末IDを、通知を届けるためアプリのプッシュ通知ゲートウェイ（{push}件）へ送る"]
    return {
        "個人情報ファイルの名称": f"{jurisdiction.name_ja} 通報（まちの声）ファイル",
        "行政機関等の名称": jurisdiction.name_ja,
        "利用目的": "住民からの通報（道路・公園・ごみ等の不具合）を受け付け、担当課が対応し、"
                    "対応状況を通報者に知らせ、必要に応じて通報者に問い合わせるため",
        "記録項目": [{"項目": f.label_ja, "テーブル": f.table, "列": f.name,
                      "閲覧できる者": _readers(f.readers), "収集経路": [CHANNELS[c] for c in f.collected_by]}
                     for f in PERSONAL_FIELDS],
        "記録範囲": f"{jurisdiction.name_ja}の区域内について通報した者（通報 {reports} 件、うち連絡先のあるもの {with_contact} 件）",
        "記録情報の収集方法": "本人からの入力（" + "、".join(CHANNELS[c] for c in channels) + "）",
        "保有期間": f"通報の完了（対応済・対応不可・他機関へ連絡・重複）から{days}日。"
                    "経過後、上記の記録項目は自動で削除し、通報の内容と統計は残す",
        "閲覧できる者": _readers(Readers.STAFF),
        "提供先": recipients,
        "開示・訂正・利用停止の請求": "管理者が machikoe privacy find / export / correct / erase、"
                                   "または /api/v1/staff/admin/privacy/ で対応し、その操作は監査ログに記録する",
    }
