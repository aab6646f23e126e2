"""The language of a page: ``?lang=CODE`` (remembered in a cookie), then the cookie,
then Accept-Language, then Japanese.

Each area offers its own languages (the staff pages Japanese and English; the
resident pages add more with :func:`offer_languages`). Codes are BCP 47 tags as
``<html lang>`` takes them (``zh-Hans``); Babel's locale is the same tag with
``_``. Catalogues live in one folder per area, all read as one ``messages``
domain; message ids are the Japanese text, so Japanese needs no catalogue.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, refresh

from service.web.pages import is_page

DEFAULT = "ja"
BASE_LANGUAGES = {"ja": "日本語", "en": "English"}
# Babel knows no private-use tags: やさしい日本語 (ja-x-easy) is read from the catalogue
# folder ``root`` (CLDR's language-neutral locale). A folder under ``ja_*`` would not
# do: gettext's search for ``ja`` also opens ``ja_JP``, so Japanese pages would read it.
BABEL_LOCALES = {"ja-x-easy": "root"}
COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600
WEB_DIR = Path(__file__).resolve().parent
CATALOGUES = (WEB_DIR / "translations", WEB_DIR / "console" / "translations", WEB_DIR / "resident" / "translations")


def init_locale(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(path) for path in CATALOGUES)
    app.extensions["web_languages"] = {}
    Babel(app, locale_selector=babel_locale)
    app.add_template_global(page_language)
    app.add_template_global(offered_languages)
    app.add_template_global(language_name)
    app.add_template_global(language_query)
    # Flask-Babel keeps the locale in the application context, which outlives a
    # request wherever a context is pushed around several (tests, commands).
    app.before_request(_forget_locale)
    app.after_request(_remember_choice)


def _forget_locale() -> None:
    # Flask-Babel caches in g only once a page has asked for a translation; most
    # requests are API calls that never did, so there is nothing to forget.
    if "_flask_babel" in g:
        refresh()


def offer_languages(app: Flask, blueprint: str, languages: dict[str, str]) -> None:
    """Let the pages of ``blueprint`` be shown in ``languages`` (code → its own name, Japanese first)."""
    app.extensions["web_languages"][blueprint] = languages


def offered_languages() -> dict[str, str]:
    """This page's languages, code → the language's name in itself, in the order they are offered."""
    return current_app.extensions["web_languages"].get(request.blueprint, BASE_LANGUAGES)


def language_name(code: str) -> str:
    return offered_languages().get(code, code)


def language_query(code: str) -> str:
    """This page's query with ``lang`` switched to ``code``, so a switch keeps the page's filters and jurisdiction."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    return urlencode([*args, ("lang", code)])


def page_language() -> str:
    """The BCP 47 tag of this page's language."""
    offered = offered_languages()
    if _asked(offered):
        return request.args[COOKIE]
    remembered = request.cookies.get(COOKIE)
    if remembered in offered:
        return remembered
    return request.accept_languages.best_match(list(offered), default=DEFAULT) or DEFAULT


def babel_locale() -> str:
    language = page_language()
    return BABEL_LOCALES.get(language) or language.replace("-", "_")


def _asked(offered: dict[str, str]) -> bool:
    return request.args.get(COOKIE) in offered


def _remember_choice(response: Response) -> Response:
    if is_page(request) and _asked(offered_languages()):
        response.set_cookie(COOKIE, request.args[COOKIE], max_age=COOKIE_SECONDS, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response
