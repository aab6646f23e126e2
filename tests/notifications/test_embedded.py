"""The embedded default delivers notifications too: its report worker consumes the notifications queue."""

from __future__ import annotations

import time

from service.domain import signatures
from service.domain.staff_keys import create_staff
from service.extensions import db
from tests.notifications.conftest import LOCAL_RECEIVERS, Receiver
from tests.pipeline import test_embedded as embedded_fixtures
from tests.pipeline.support import post_report, published, wait_until
from workers.celery_app import MEDIA_QUEUE, QUEUES
from workers.embedded import REPORT_QUEUES, start_embedded_worker

# The embedded default's app (SQLite, memory broker) and the worker controllers it starts.
embedded_app, worker_controllers = embedded_fixtures.embedded_app, embedded_fixtures.worker_controllers


def test_embedded_worker_delivers_a_staff_transition(embedded_app, worker_controllers, receiver: Receiver):
    embedded_app.extensions["celery"].control.purge()
    embedded_app.config["NOTIFY_DISPATCH_INTERVAL_SECONDS"] = 0.3
    # The receiver listens on 127.0.0.1, which the outbound policy refuses unless named.
    embedded_app.config["OUTBOUND_ALLOW_PRIVATE"] = LOCAL_RECEIVERS
    thread = start_embedded_worker(embedded_app)
    with embedded_app.app_context():
        client = embedded_app.test_client()
        _, admin_key = create_staff(db.session, name="管理者", role="admin", jurisdiction_code="990019", department_code=None)
        created = client.post("/api/v1/staff/admin/subscribers", headers={"Authorization": f"Bearer {admin_key}"},
                              json={"kind": "department_webhook", "name": "道路課", "url": receiver.url(),
                                    "event_types": ["report.status_changed"]}).get_json()
        report = post_report(client)
        wait_until(lambda: published(report["id"]), what="processing", timeout=20)
        response = client.post(f"/api/v1/staff/reports/{report['id']}/transitions", json={"to": "acknowledged"},
                               headers={"Authorization": f"Bearer {admin_key}"})
        assert response.status_code == 201

        (request,) = wait_until(lambda: receiver.requests, what="the webhook POST", timeout=20)
    assert signatures.verify(created["secret"], request.headers["X-Machikoe-Signature"], request.body,
                             now=int(time.time()))
    consumed = [sorted(q.name for q in c.consumer.task_consumer.queues) for c in worker_controllers]
    # The report worker delivers notifications too; remote media has its own worker.
    assert consumed == [sorted(REPORT_QUEUES), [MEDIA_QUEUE]]
    assert sorted(name for names in consumed for name in names) == sorted(QUEUES)
    for controller in worker_controllers:
        controller.stop()
    thread.join(10)
