"""Choosing the department (課) a report goes to.

A routing rule says "reports of this category (or any category) in this area (or
anywhere) go to this department". Among the rules that match a report, the one
with the lowest priority number wins; on equal priority the more specific rule
wins (category and area, then area only, then category only, then neither), and
then the lower rule id, so the choice never depends on the order rules are listed
in. When no rule matches, the jurisdiction's fallback department takes the report.
The decision carries the rule id and a short reason, so staff can see why a report
went where it went.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleView:
    """The parts of a routing rule that the choice needs.

    `category_code` None means any category; `area_id` None means anywhere.
    """

    id: int
    priority: int
    category_code: str | None
    area_id: int | None
    department_id: int


@dataclass(frozen=True)
class RoutingDecision:
    """The chosen department, the rule that chose it (None for the fallback), and why."""

    department_id: int
    rule_id: int | None
    reason: str


FALLBACK_REASON = "fallback department: no rule matched"


def choose_department(
    rules: Sequence[RuleView],
    *,
    category_code: str,
    area_ids: Collection[int],
    fallback_department_id: int,
) -> RoutingDecision:
    """Return the department for a report of `category_code` lying in `area_ids`.

    `area_ids` are the areas covering the report's location (possibly none).
    Never raises.
    """
    areas = set(area_ids)
    matching = [
        rule
        for rule in rules
        if (rule.category_code is None or rule.category_code == category_code)
        and (rule.area_id is None or rule.area_id in areas)
    ]
    if not matching:
        return RoutingDecision(
            department_id=fallback_department_id, rule_id=None, reason=FALLBACK_REASON
        )
    winner = min(matching, key=lambda rule: (rule.priority, _specificity_rank(rule), rule.id))
    return RoutingDecision(
        department_id=winner.department_id, rule_id=winner.id, reason=_describe(winner)
    )


def _specificity_rank(rule: RuleView) -> int:
    """0 for the most specific rule (category and area), 3 for a catch-all."""
    if rule.area_id is not None:
        return 0 if rule.category_code is not None else 1
    return 2 if rule.category_code is not None else 3


def _describe(rule: RuleView) -> str:
    category = "any category" if rule.category_code is None else f"category {rule.category_code}"
    place = "anywhere" if rule.area_id is None else f"in area {rule.area_id}"
    return f"rule {rule.id}: {category} {place}"
