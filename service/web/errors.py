"""Errors of pages are HTML pages; every other error stays problem+json.

The API's handlers (:class:`service.api.problems.ProblemApi`) are kept and
called for everything that is not a page (:func:`service.web.pages.is_page`).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from service.api.problems import handle_unexpected
from service.web.pages import is_page

log = logging.getLogger(__name__)


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _messages(code: int) -> tuple[str, str]:
    known = {
        400: (_("リクエストを処理できませんでした"), _("入力内容を確かめて、もう一度お試しください。")),
        403: (_("このページを表示する権限がありません"), _("必要な場合は管理者にお問い合わせください。")),
        404: (_("ページが見つかりません"), _("アドレスが正しいか確かめてください。")),
        405: (_("この操作はできません"), _("前のページに戻って、もう一度お試しください。")),
        413: (_("送信したデータが大きすぎます"), _("ファイルを小さくして、もう一度お試しください。")),
        429: (_("操作が多すぎます"), _("しばらく待ってから、もう一度お試しください。")),
    }
    return known.get(code, (_("エラーが発生しました"), _("しばらく待ってから、もう一度お試しください。")))


def error_page(code: int, title: str | None = None, detail: str | None = None) -> Response:
    known_title, known_detail = _messages(code)
    body = render_template("error.html", code=code, title=title or known_title, detail=detail or known_detail)
    return current_app.response_class(body, status=code, mimetype="text/html")


def _http_error(error: HTTPException) -> Response:
    if not is_page(request):
        return current_app.extensions["api"].handle_http_exception(error)
    code = error.code or 500
    if isinstance(error, CSRFError):
        return error_page(400, _("フォームの有効期限が切れたか、別の場所から送信されました"),
                          _("ページを読み込み直してから、もう一度送信してください。"))
    response = error_page(code)
    # A 429 says when to try again (in flask-smorest's data), a 405 what is allowed.
    headers = {**dict(error.get_headers()), **((getattr(error, "data", None) or {}).get("headers") or {})}
    for name in ("Retry-After", "Allow"):
        if name in headers:
            response.headers[name] = headers[name]
    return response


def _unexpected(error: Exception) -> Response:
    if not is_page(request):
        return handle_unexpected(error)
    log.exception("unhandled error on a page: %s", type(error).__name__)
    return error_page(InternalServerError.code)
