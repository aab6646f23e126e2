"""Task bodies. Thin: each one calls domain code."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="machikoe.process_report", acks_late=True, ignore_result=True)
def process_report(report_id: int) -> None:
    from service.domain.processing import process

    process(report_id)


@shared_task(name="machikoe.sweep", ignore_result=True)
def sweep() -> int:
    from service.domain.processing import sweep as run_sweep

    return run_sweep()
