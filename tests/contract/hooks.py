"""Schemathesis hooks for the contract run: the Open311 client key goes into POST bodies, the run's own
keys stay, and valid reports carry known personal data.

The run's staff key and client key, and a spare of each, come in environment
variables. Every generated request that would revoke or renew one of the run's
own keys does so to the spare instead, so those operations are still exercised
and the rest of the run keeps its keys.

A valid report (API or Open311) carries the reporter contact, device id, and an
e-mail address and phone number in its description from tests/corpus/logscan.py,
so the server's log can be scanned for them after the run.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from tests.corpus.logscan import PII

OPEN311_POST = "/open311/v2/requests.{fmt}"
REPORT_POST = "/api/v1/reports"
KEY_RENEWAL = "/{staff_id}/key"
OWN_KEYS = {  # path parameter: (the run's own id, the spare's id)
    "staff_id": ("MACHIKOE_CONTRACT_STAFF_ID", "MACHIKOE_CONTRACT_SPARE_STAFF_ID"),
    "client_id": ("MACHIKOE_CONTRACT_CLIENT_ID", "MACHIKOE_CONTRACT_SPARE_CLIENT_ID"),
}
CONTACT_IN_TEXT = f" {PII['reporter_email']} {PII['reporter_phone']}"
DESCRIPTION_MAX = 4000
# Where each value of PII goes in a body: the API's JSON report, and Open311's form fields.
REPORT_PII = {("reporter", "name"): "reporter_name", ("reporter", "email"): "reporter_email",
              ("reporter", "phone"): "reporter_phone", ("device_id",): "device_id"}
OPEN311_PII = {("first_name",): "reporter_name", ("email",): "reporter_email", ("phone",): "reporter_phone",
               ("device_id",): "device_id"}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    post = case.method.upper() == "POST" and isinstance(case.body, dict)
    if post and case.operation.path == OPEN311_POST and isinstance(case.body.get("api_key"), str):
        # A generated api_key is never valid; with the real one the request reaches the checks behind it.
        case.body["api_key"] = os.environ["MACHIKOE_CONTRACT_CLIENT_KEY"]
    if post and _positive(case) and case.operation.path in (REPORT_POST, OPEN311_POST):
        _carry_pii(case.body, REPORT_PII if case.operation.path == REPORT_POST else OPEN311_PII)
    if (case.method.upper() == "DELETE" or case.operation.path.endswith(KEY_RENEWAL)) and case.path_parameters:
        for name, (own, spare) in OWN_KEYS.items():
            if str(case.path_parameters.get(name)) == os.environ[own]:
                case.path_parameters[name] = int(os.environ[spare])


def _positive(case: Any) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _carry_pii(body: dict[str, Any], places: dict[tuple[str, ...], str]) -> None:
    """Give the private fields known values, which are valid too (a report's ``reporter`` only where one was sent)."""
    for path, name in places.items():
        holder: Any = body
        for step in path[:-1]:
            holder = holder.get(step) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder[path[-1]] = PII[name]
    description = body.get("description")
    if isinstance(description, str) and description.strip() and len(description) + len(CONTACT_IN_TEXT) <= DESCRIPTION_MAX:
        body["description"] = description + CONTACT_IN_TEXT
