"""Stopping a resident's mail from the link in every mail, without signing in.

``GET /unsubscribe/<token>`` asks to confirm, so a mail scanner that opens
links stops nothing; ``POST`` to the same address stops the mail, from the
page's form or as an RFC 8058 one-click request
(``List-Unsubscribe=One-Click``) sent by the mail client. The signed token in
the address authorises the request, not a cookie, so the POST needs no CSRF
token: a forged one could only do what the link itself does.
"""

from __future__ import annotations

from flask import current_app, render_template

from service.domain import resident_mail
from service.extensions import db
from service.web.forms import signed_link
from service.web.resident import bp

PATH = "/unsubscribe/<token>"


@bp.get(PATH)
def unsubscribe_page(token: str) -> tuple[str, int]:
    valid = resident_mail.read_unsubscribe_token(current_app.config["SECRET_KEY"], token) is not None
    return render_template("resident/unsubscribe.html", token=token, valid=valid, done=False), 200 if valid else 404


@bp.post(PATH)
@signed_link
def unsubscribe(token: str) -> tuple[str, int]:
    done = resident_mail.unsubscribe(db.session(), current_app.config["SECRET_KEY"], token)
    db.session.commit()
    return render_template("resident/unsubscribe.html", token=token, valid=done, done=done), 200 if done else 404
