"""A short-lived cookie that opens one report's private pages: the reporter's own view, or its rating form.

It holds the report's public id signed for its purpose (a salt of its own),
never the token or reference that opened it; it is HttpOnly, SameSite=Strict
and sent only below the pages it opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

SECONDS = 3600


@dataclass(frozen=True)
class ReportCookie:
    name: str
    salt: str

    def opens(self, report_id: str) -> bool:
        """Whether this request carries the cookie for ``report_id``."""
        try:
            opened = self._signer().loads(request.cookies.get(self.name, ""), max_age=SECONDS)
        except BadSignature:
            return False
        return bool(opened == report_id)

    def give(self, response: Response, report_id: str, path: str) -> None:
        """Set the cookie for ``report_id`` on ``response``, sent only to ``path`` and below."""
        response.set_cookie(self.name, self._signer().dumps(report_id), max_age=SECONDS, path=path, httponly=True,
                            samesite="Strict", secure=request.is_secure)

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=self.salt)
