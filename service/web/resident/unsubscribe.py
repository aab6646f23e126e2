"""Stopping a resident's mail from the link in every mail, without signing in.

``GET /unsubscribe/<token>`` asks to confirm, so a mail scanner that opens
links stops nothing; ``POST`` to the same address stops the mail, from the
page's form or as an RFC 8058 one-click request
(``List-Unsubscribe=One-Click``) sent by the mail client. The signed token in
the address authorises the request, not a cookie, so the POST needs no CSRF
token: a forged one could only do what the link itself does. The page wears
the branding of the jurisdiction whose report the mail is about.
"""

from __future__ import annotations

from flask import current_app, render_template

from service.domain import resident_mail
from service.extensions import db
from service.web.forms import signed_link
from service.web.resident import bp
from service.web.resident.sites import Site, site_for

PATH = "/unsubscribe/<token>"


@bp.get(PATH)
def unsubscribe_page(token: str) -> tuple[str, int]:
    valid = resident_mail.read_unsubscribe_token(current_app.config["SECRET_KEY"], token) is not None
    return _page(token, valid=valid, done=False)


@bp.post(PATH)
@signed_link
def unsubscribe(token: str) -> tuple[str, int]:
    done = resident_mail.unsubscribe(db.session(), current_app.config["SECRET_KEY"], token)
    db.session.commit()
    return _page(token, valid=done, done=done)


def _page(token: str, *, valid: bool, done: bool) -> tuple[str, int]:
    return render_template("resident/unsubscribe.html", site=_site(token), token=token, valid=valid, done=done), \
        200 if valid else 404


def _site(token: str) -> Site:
    report = resident_mail.unsubscribe_report(db.session(), current_app.config["SECRET_KEY"], token)
    return site_for(current_app.config.get("RESIDENT_SITES_FILE", ""), report.jurisdiction.code if report else None)
