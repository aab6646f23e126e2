"""A report's page: worked to resolution with a template reply; conflicts, roles and scope as the clerk sees them."""

from __future__ import annotations

import html as markup
import re
from datetime import timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import Report
from service.timefmt import TOKYO
from tests.web.console.conftest import csrf_token


def report(public_id: str) -> Report:
    db.session.expire_all()
    return db.session.scalars(select(Report).where(Report.public_id == public_id)).one()


def etag_of(page: str) -> str:
    found = re.search(r'name="etag" value="([^"]+)"', page)
    assert found, "the page's forms carry no ETag"
    return markup.unescape(found.group(1))


def test_a_clerk_resolves_a_report_with_a_template_reply(client, signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    first = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert "道路の損傷" in first and "道路に穴があります" in first
    template_id = re.search(r'<option value="(\d+)">道路を補修しました</option>', first).group(1)
    page = clerk.get(f"/staff/reports/{road_report}", query_string={"template": template_id}).get_data(as_text=True)
    assert '<option value="resolved" selected>' in page
    reply = re.search(r'<textarea id="public_reply"[^>]*>([^<]*)</textarea>', page).group(1)
    assert reply == "ご連絡いただいた道路の損傷を補修しました。ご協力ありがとうございました。"
    done = clerk.post(f"/staff/reports/{road_report}/transition", follow_redirects=True,
                      data={"csrf_token": csrf_token(page), "etag": etag_of(page), "to": "resolved",
                            "public_reply": reply, "internal_note": "舗装業者に依頼済み"})
    shown = done.get_data(as_text=True)
    assert done.status_code == 200 and "状態を「対応済」にしました。" in shown
    assert "住民への回答（公開）" in shown and "内部メモ（非公開）" in shown and "舗装業者に依頼済み" in shown
    assert report(road_report).status == "resolved"
    public = client.get(f"/api/v1/reports/{road_report}").get_json()
    assert public["status"] == "resolved" and reply in str(public) and "舗装業者" not in str(public)


def test_a_post_on_a_version_someone_else_changed_is_a_conflict_and_changes_nothing(signed_in_client, road_report):
    clerk, manager = signed_in_client("staff road"), signed_in_client("manager road")
    seen_by_clerk = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    seen_by_manager = manager.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    moved = manager.post(f"/staff/reports/{road_report}/transition",
                         data={"csrf_token": csrf_token(seen_by_manager), "etag": etag_of(seen_by_manager), "to": "in_progress"})
    assert moved.status_code == 303
    stale = clerk.post(f"/staff/reports/{road_report}/transition",
                       data={"csrf_token": csrf_token(seen_by_clerk), "etag": etag_of(seen_by_clerk), "to": "not_actionable",
                             "reason": "私有地", "public_reply": "対応できません"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "他の職員が更新しました" in text
    # What the clerk typed is kept in the form, and the report is as the manager left it.
    assert "対応できません" in text and report(road_report).status == "in_progress"


def test_a_refused_transition_says_why_and_keeps_the_report(signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    refused = clerk.post(f"/staff/reports/{road_report}/transition",
                         data={"csrf_token": csrf_token(page), "etag": etag_of(page), "to": "forwarded"})
    assert refused.status_code == 422 and "操作できませんでした" in refused.get_data(as_text=True)
    assert report(road_report).status == "received"


def test_a_viewer_reads_but_cannot_act_and_other_departments_are_closed(signed_in_client, road_report, parks_report):
    viewer = signed_in_client("viewer road")
    page = viewer.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert road_report in page and "状態を変える" not in page
    posted = viewer.post(f"/staff/reports/{road_report}/note",
                         data={"csrf_token": csrf_token(page), "etag": "\"x\"", "internal_note": "見ました"})
    assert posted.status_code == 403
    assert viewer.get(f"/staff/reports/{parks_report}").status_code == 403
    assert viewer.get("/staff/reports/nosuchreport").status_code == 404


def test_an_internal_note_stays_out_of_the_public_view(client, signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    noted = clerk.post(f"/staff/reports/{road_report}/note", follow_redirects=True,
                       data={"csrf_token": csrf_token(page), "etag": etag_of(page), "internal_note": "現地確認は明日"})
    assert "現地確認は明日" in noted.get_data(as_text=True)
    assert "現地確認は明日" not in client.get(f"/api/v1/reports/{road_report}").get_data(as_text=True)


def test_a_clerk_takes_a_report_from_its_page(signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    me = re.search(r'<option value="(\d+)">staff road</option>', page).group(1)
    taken = clerk.post("/staff/reports/bulk", follow_redirects=True,
                       data={"csrf_token": csrf_token(page), "action": "assign", "assignee": me, "report": road_report,
                             "back": f"/staff/reports/{road_report}"})
    shown = taken.get_data(as_text=True)
    assert taken.request.path == f"/staff/reports/{road_report}" and "担当者の変更" in shown
    assert report(road_report).assignee_id == int(me)


def test_the_pages_changes_are_dated_by_the_apps_clock(fixed_clock, signed_in_client, road_report):
    fixed_clock.instant += timedelta(days=2)
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    done = clerk.post(f"/staff/reports/{road_report}/transition",
                      data={"csrf_token": csrf_token(page), "etag": etag_of(page), "to": "not_actionable", "reason": "私有地"})
    assert done.status_code == 303
    closed = report(road_report)
    assert closed.closed_at == fixed_clock.instant and closed.history[-1].created_at == fixed_clock.instant
    shown = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert fixed_clock.instant.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") in shown


def test_why_a_report_went_to_its_department_reads_in_the_clerks_language(signed_in_client, road_report):
    rule_id = report(road_report).routing_rule_id
    clerk = signed_in_client("staff road")
    japanese = markup.unescape(clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True))
    assert f"ルール #{rule_id}（road_damage・どこでも）" in japanese and "category road_damage" not in japanese
    english = markup.unescape(clerk.get(f"/staff/reports/{road_report}?lang=en").get_data(as_text=True))
    assert f"Rule #{rule_id} (road_damage, Anywhere)" in english


def test_a_reason_of_every_stored_form_is_said_and_an_unknown_one_shown_as_stored(app):
    from service.web.console.routing_reasons import routing_reason

    with app.test_request_context("/staff/reports/x"):
        assert routing_reason("rule 4: any category in area 7") == "ルール #4（すべての種類・区域 #7）"
        assert routing_reason("fallback department: no rule matched").startswith("どのルールにも当たらず")
        assert routing_reason("assigned by staff: 公園内の道路") == "職員が振り分け：公園内の道路"
        assert routing_reason("assigned by staff") == "職員が振り分け"
        assert routing_reason("moved by an import") == "moved by an import"
        assert routing_reason(None) == "記録なし"
