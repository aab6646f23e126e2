"""What a refused change says on a console page, in the page's language.

The domain explains a refusal in English for the API's problem details; a
clerk reading a Japanese page reads it here instead, by the kind of refusal
(and, for the workflow, the field it concerns).
"""

from __future__ import annotations

from flask_babel import gettext as _

from service.domain import report_edits, workflow


def workflow_refusal(exc: workflow.WorkflowError) -> str:
    if isinstance(exc, workflow.TransitionNotAllowed):
        return _("今の状態からは、選んだ状態にできません。")
    messages = {
        "to": _("次の状態を選んでください。"),
        "reason": _("この状態にするには、理由を入力してください。"),
        "forwarded_to": _("連絡先の機関（国・都道府県・警察・事業者など）を入力してください。"),
        "public_reply": _("住民への回答か内部メモを入力してください。"),
        "department": _("その担当課には振り分けられません。"),
        "duplicate_of": _("この通報は、選んだ通報には統合できません（統合先が重複の通報か、この通報に他の通報が統合されています）。"),
    }
    return messages.get(exc.field or "", _("この操作はできませんでした。"))


def edit_refusal(exc: report_edits.EditRefused) -> str:
    messages = {
        "moderate_role": _("非表示や文章の修正は課長と管理者が行います。"),
        "route_role": _("種類の変更（振り分けの変更）は課長と管理者が行います。"),
        "priority": _("優先度は0から9の数字で選んでください。"),
        "photo": _("この通報にその写真はありません。"),
        "category": _("その種類は使えません。"),
    }
    return messages.get(exc.code, _("この操作はできませんでした。"))
