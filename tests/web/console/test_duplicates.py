"""Merging a duplicate from its candidates, side by side: managers merge, clerks look, stale pages conflict."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import Report
from tests.web.console.conftest import csrf_token, submit
from tests.web.console.test_report_page import etag_of
from tests.web.console.test_report_photos import photographed_report


def report(public_id: str) -> Report:
    db.session.expire_all()
    return db.session.scalars(select(Report).where(Report.public_id == public_id)).one()


def test_a_manager_merges_a_report_into_a_candidate(client, signed_in_client, road_report):
    copy = submit(client, lat=35.6501, lon=139.7801)
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/reports/{copy}/duplicates").get_data(as_text=True)
    assert road_report in page and "距離 " in page and "この通報" in page
    distance = int(re.search(r"距離 (\d+) m", page).group(1))
    assert distance < 30
    merged = manager.post(f"/staff/reports/{copy}/duplicates", follow_redirects=True,
                          data={"csrf_token": csrf_token(page), "etag": etag_of(page), "primary": road_report})
    assert merged.status_code == 200 and f"{road_report}に統合しました。" in merged.get_data(as_text=True)
    assert report(copy).status == "duplicate" and report(copy).duplicate_of_id == report(road_report).id


def test_a_clerk_sees_the_candidates_but_cannot_merge(client, signed_in_client, road_report):
    copy = submit(client, lat=35.6501, lon=139.7801)
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{copy}/duplicates").get_data(as_text=True)
    assert road_report in page and "に統合する" not in page
    current = etag_of(clerk.get(f"/staff/reports/{copy}").get_data(as_text=True))
    refused = clerk.post(f"/staff/reports/{copy}/duplicates",
                         data={"csrf_token": csrf_token(page), "etag": current, "primary": road_report})
    assert refused.status_code == 403 and report(copy).status == "received"


def test_a_stale_or_foreign_merge_is_refused(client, signed_in_client, road_report, parks_report):
    copy = submit(client, lat=35.6501, lon=139.7801)
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/reports/{copy}/duplicates").get_data(as_text=True)
    not_a_candidate = manager.post(f"/staff/reports/{copy}/duplicates",
                                   data={"csrf_token": csrf_token(page), "etag": etag_of(page), "primary": parks_report})
    assert not_a_candidate.status_code == 422
    stale = manager.post(f"/staff/reports/{copy}/duplicates",
                         data={"csrf_token": csrf_token(page), "etag": '"old-1"', "primary": road_report})
    assert stale.status_code == 409 and "他の職員が更新しました" in stale.get_data(as_text=True)
    assert report(copy).status == "received"


def followers_shown(page: str) -> int:
    found = re.search(r"<dt>フォロー</dt><dd>(\d+)人</dd>", page)
    assert found, "the report page shows no follower count"
    return int(found.group(1))


def test_a_merge_counts_the_duplicates_followers_on_the_primary(client, signed_in_client, road_report):
    copy = submit(client, lat=35.6501, lon=139.7801)
    followed = client.post(f"/api/v1/reports/{copy}/followers", json={"email": "neighbour@example.jp", "email_updates": False})
    assert followed.status_code == 201
    manager = signed_in_client("manager road")
    before = manager.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert "統合された通報" not in before
    page = manager.get(f"/staff/reports/{copy}/duplicates").get_data(as_text=True)
    manager.post(f"/staff/reports/{copy}/duplicates", data={"csrf_token": csrf_token(page), "etag": etag_of(page),
                                                             "primary": road_report})
    after = manager.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert "統合された通報 1件" in after and followers_shown(after) == followers_shown(before) + 1


def test_candidates_stand_side_by_side_with_time_apart_and_photo_derivatives(fixed_clock, client, signed_in_client,
                                                                           road_report):
    fixed_clock.instant += timedelta(hours=3)
    copy, original = photographed_report(client)
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{copy}/duplicates").get_data(as_text=True)
    assert road_report in page and "3時間前の受付" in page
    thumbs = re.findall(r'<img src="([^"]+)" alt="' + copy + r'の写真1（拡大）"', page)
    assert thumbs and all(src.endswith("/thumb") for src in thumbs)
    shown = clerk.get(thumbs[0])
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and shown.data != original
    assert "/original" not in page
