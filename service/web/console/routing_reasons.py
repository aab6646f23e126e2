"""Why a report went to its department, in the clerk's language.

The reason is stored as the routing wrote it at the time (``service.domain.routing``,
``service.domain.workflow``): the API and the webhooks carry that text as it is. The
console reads its known forms back and says them in the page's language, with the rule
and area codes as they were; a text of another form is shown as stored.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from service.web.console import bp

RULE = re.compile(r"rule (?P<rule>\d+): (?:category (?P<category>\S+)|any category) (?:in area (?P<area>\d+)|anywhere)\Z")
FALLBACK = "fallback department: no rule matched"
BY_STAFF = re.compile(r"assigned by staff(?:: (?P<why>.+))?\Z", re.DOTALL)


@bp.app_template_filter("routing_reason")
def routing_reason(stored: str | None) -> str:
    if not stored:
        return _("記録なし")
    if stored == FALLBACK:
        return _("どのルールにも当たらず、振り分け先のない通報を受け持つ課へ")
    if (rule := RULE.match(stored)) is not None:
        category = rule["category"] or _("すべての種類")
        area = _("区域 #%(area)s", area=rule["area"]) if rule["area"] else _("どこでも")
        return _("ルール #%(rule)s（%(category)s・%(area)s）", rule=rule["rule"], category=category, area=area)
    if (staff := BY_STAFF.match(stored)) is not None:
        return _("職員が振り分け：%(why)s", why=staff["why"]) if staff["why"] else _("職員が振り分け")
    return stored
