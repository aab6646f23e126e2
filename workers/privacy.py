"""The retention purge, sent by beat (or the embedded timer) every PRIVACY_PURGE_INTERVAL_SECONDS.

The same job brings a bounded part of the stored masks up to the current
masking rules each time (service/privacy/remasking.py), so after a change of
the rules the public copies catch up without anyone running a command.
"""

from __future__ import annotations

import logging

from celery import shared_task

from service.commands.privacy import run_purge
from service.extensions import db
from service.jobs import PRIVACY_PURGE
from service.privacy import remasking

log = logging.getLogger(__name__)


@shared_task(name=PRIVACY_PURGE, ignore_result=True, acks_late=True)
def privacy_purge() -> int:
    """Remove the personal data of reports whose retention has run out; the number of reports purged."""
    try:
        done = run_purge()
        remasked = remasking.remask(db.session(), max_rows=remasking.ROWS_PER_RUN)
    finally:
        db.session.remove()
    count = sum(len(part["reports"]) for part in done)
    if count:
        # Counts only: the log never names a person or their reports' contact.
        log.info("privacy purge removed the personal data of %d reports", count)
    for part in remasked:
        if part.stale:
            log.info("%s: %d copies made under older masking rules masked again (%d changed)",
                     part.column, part.stale, part.changed)
    return count
