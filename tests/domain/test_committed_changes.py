"""A cache hears of a commit of this process that changed its rows, once per commit, and of nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from service.domain.committed_changes import after_commit_of
from service.extensions import db
from service.models import Category, Department


@pytest.fixture()
def told(app) -> Iterator[list[str]]:
    heard: list[str] = []
    stop = after_commit_of((Department,), lambda: heard.append("department"))
    yield heard
    stop()


def road() -> Department:
    return db.session.scalar(select(Department).where(Department.code == "road"))


def test_a_commit_that_changed_a_watched_row_is_told_once(told):
    department = road()
    department.name_en, department.email = "Roads", "roads@example.jp"
    db.session.flush()
    department.name_ja = "道路整備課"
    db.session.commit()
    assert told == ["department"]
    # The next commit changed nothing: nothing is told.
    db.session.commit()
    assert told == ["department"]


def test_a_statement_run_through_the_session_is_a_change_too(told):
    db.session.execute(update(Department).where(Department.code == "road").values(name_en="Roads"))
    db.session.commit()
    assert told == ["department"]


def test_other_rows_and_rolled_back_changes_are_not_told(told):
    db.session.scalar(select(Category).where(Category.code == "graffiti")).resolution_days = 30
    db.session.commit()
    road().name_en = "Roads"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert told == []
