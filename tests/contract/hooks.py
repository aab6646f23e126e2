"""Schemathesis hooks for the contract run: the Open311 client key goes into POST bodies, and the run's own keys stay.

The run's staff key and client key, and a spare of each, come in environment
variables. Every generated request that would revoke one of the run's own keys
revokes the spare instead, so the DELETE operations are still exercised and
the rest of the run keeps its keys.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

OPEN311_POST = "/open311/v2/requests.{fmt}"
OWN_KEYS = {  # path parameter: (the run's own id, the spare's id)
    "staff_id": ("MACHIKOE_CONTRACT_STAFF_ID", "MACHIKOE_CONTRACT_SPARE_STAFF_ID"),
    "client_id": ("MACHIKOE_CONTRACT_CLIENT_ID", "MACHIKOE_CONTRACT_SPARE_CLIENT_ID"),
}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.method.upper() == "POST" and case.operation.path == OPEN311_POST and isinstance(case.body, dict) \
            and isinstance(case.body.get("api_key"), str):
        # A generated api_key is never valid; with the real one the request reaches the checks behind it.
        case.body["api_key"] = os.environ["MACHIKOE_CONTRACT_CLIENT_KEY"]
    if case.method.upper() == "DELETE" and case.path_parameters:
        for name, (own, spare) in OWN_KEYS.items():
            if str(case.path_parameters.get(name)) == os.environ[own]:
                case.path_parameters[name] = int(os.environ[spare])
