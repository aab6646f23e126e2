"""The web pages: server-rendered HTML for staff (``/staff/``) and residents (``/``).

:func:`init_web` wires the pieces every page shares: static files and vendored
browser libraries (``/static/``), Flask-Babel with a catalogue folder per area,
CSRF protection of every page form, the security headers of pages, and HTML
error pages. The JSON API, Open311 and the API reference keep their own
answers: everything here applies to pages only (:func:`service.web.pages.is_page`).

Templates extend ``layout.html`` (blocks ``title``, ``head``, ``header``,
``nav``, ``main``, ``footer``, ``scripts``) or ``staff/layout.html``. Their
Jinja globals: ``_``/``gettext`` (Flask-Babel), ``csrf_token()`` (Flask-WTF),
``vendor_url(package, file)`` and ``page_language()``.
"""

from __future__ import annotations

from flask import Flask

TRANSLATIONS = "service/web/translations"


def init_web(app: Flask) -> None:
    from service.web import console, errors, headers, locale, resident, signin_views, static_files
    from service.web.forms import init_forms
    from service.web.sessions import init_sessions

    signin_views.init_signin()
    init_sessions(app)
    static_files.init_static(app)
    locale.init_locale(app)
    init_forms(app)
    headers.init_page_headers(app)
    errors.init_error_pages(app)
    app.register_blueprint(console.bp, url_prefix="/staff")
    app.register_blueprint(resident.bp)
