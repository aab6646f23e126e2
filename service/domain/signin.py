"""Staff sign-in: passwords (argon2), the second factor (TOTP), failures and lockout.

Plain functions over a SQLAlchemy session; the caller gives ``now`` and the
:class:`Policy`. Each of them commits, and every sign-in, failure, lockout,
sign-out and change of password or second factor is written to the audit log
in the same transaction.

Raises :class:`SigninRefused` (with a ``reason``: ``credentials``, ``locked``,
``code``) when a sign-in step fails, and :class:`CredentialsError` when a
change is refused (weak password, wrong current password, a second factor the
role must keep).
"""

from __future__ import annotations

import functools
import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.audit import Actor, audit
from service.models import Staff

# Roles that always sign in with a second factor.
TOTP_ROLES = frozenset({"admin", "manager"})
ISSUER = "Machikoe"
LOGIN_MAX = 100
PASSWORD_MAX = 1024
# Codes from the time step before and after the current one are accepted: phone clocks drift.
TOTP_WINDOW = 1

# argon2id as RFC 9106's second recommended profile: three passes, four lanes; only the memory is a setting.
HASH_TIME_COST = 3
HASH_PARALLELISM = 4
HASH_MIN_MEMORY_KIB = 8 * HASH_PARALLELISM


@functools.cache
def _hasher(memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=HASH_TIME_COST, memory_cost=max(memory_kib, HASH_MIN_MEMORY_KIB),
                          parallelism=HASH_PARALLELISM)


@functools.cache
def _dummy_hash(memory_kib: int) -> str:
    """A hash to verify against when no account has the login, so that both take as long; made once, when first needed."""
    return _hasher(memory_kib).hash("machikoe-no-such-account")


@dataclass(frozen=True)
class Policy:
    lock_after: int
    totp_all_roles: bool
    password_min_length: int
    hash_memory_kib: int

    @property
    def hasher(self) -> PasswordHasher:
        return _hasher(self.hash_memory_kib)


def policy_from(settings: Mapping[str, Any]) -> Policy:
    """The policy the settings give (``STAFF_SIGNIN_LOCK_AFTER``, ``STAFF_TOTP_ALL_ROLES``,
    ``STAFF_PASSWORD_MIN_LENGTH``, ``STAFF_PASSWORD_HASH_MEMORY_KIB``)."""
    return Policy(lock_after=settings["STAFF_SIGNIN_LOCK_AFTER"], totp_all_roles=settings["STAFF_TOTP_ALL_ROLES"],
                  password_min_length=settings["STAFF_PASSWORD_MIN_LENGTH"],
                  hash_memory_kib=settings["STAFF_PASSWORD_HASH_MEMORY_KIB"])


class SigninRefused(Exception):
    """A sign-in step failed; ``reason`` is ``credentials``, ``locked`` or ``code``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CredentialsError(ValueError):
    """A change of login, password or second factor is refused; the message says why."""


def normal_login(login: str) -> str:
    """Login names compare without regard to case or full-width forms (ＡＢＣ is abc)."""
    return unicodedata.normalize("NFKC", login).strip().casefold()


def needs_totp(member: Staff, policy: Policy) -> bool:
    return policy.totp_all_roles or member.role in TOTP_ROLES


def must_enrol(member: Staff, policy: Policy) -> bool:
    """Whether the member sets up a second factor before anything else: their role or the setting asks one they lack."""
    return member.login is not None and member.totp_secret is None and needs_totp(member, policy)


def hash_password(password: str, policy: Policy) -> str:
    if len(password) < policy.password_min_length:
        raise CredentialsError(f"a password needs at least {policy.password_min_length} characters")
    if len(password) > PASSWORD_MAX:
        raise CredentialsError(f"a password has at most {PASSWORD_MAX} characters")
    return policy.hasher.hash(password)


def _password_matches(member: Staff | None, password: str, policy: Policy) -> bool:
    stored = member.password_hash if member is not None else None
    try:
        return (policy.hasher.verify(stored or _dummy_hash(policy.hash_memory_kib), password[:PASSWORD_MAX])
                and stored is not None)
    except (VerificationError, InvalidHashError):
        return False


def check_password(session: Session, login: str, password: str, now: datetime, policy: Policy) -> Staff:
    """The staff member whose login and password these are; the first step of a sign-in.

    A wrong password counts as a failure of that account (and may lock it);
    an unknown login, a revoked member or a locked account is refused the same
    way as a wrong password, except that a locked account's right password is
    told it is locked.
    """
    member = session.scalar(select(Staff).where(Staff.login == normal_login(login)[:LOGIN_MAX]))
    if not _password_matches(member, password, policy):
        if member is not None and member.revoked_at is None:
            record_failure(session, member, now, policy, "password")
        raise SigninRefused("credentials")
    assert member is not None
    if member.revoked_at is not None:
        raise SigninRefused("credentials")
    if member.locked_at is not None:
        raise SigninRefused("locked")
    # A hash made under other settings (an older profile, another memory size) is renewed now that the password is known.
    if member.password_hash and policy.hasher.check_needs_rehash(member.password_hash):
        member.password_hash = policy.hasher.hash(password)
        session.commit()
    return member


def check_code(session: Session, member: Staff, code: str, now: datetime, policy: Policy) -> None:
    """The second step: a TOTP code of ``member``'s secret, each code usable once."""
    if member.locked_at is not None:
        raise SigninRefused("locked")
    if not member.totp_secret or not _take_code(member, member.totp_secret, code, now):
        record_failure(session, member, now, policy, "code")
        raise SigninRefused("code")
    session.commit()


def _take_code(member: Staff, secret: str, code: str, now: datetime) -> bool:
    totp = pyotp.TOTP(secret)
    code = unicodedata.normalize("NFKC", code).replace(" ", "")
    current = totp.timecode(now)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if step > (member.totp_last_step or -1) and hmac.compare_digest(totp.generate_otp(step), code):
            member.totp_last_step = step
            return True
    return False


def record_failure(session: Session, member: Staff, now: datetime, policy: Policy, stage: str) -> None:
    member.failed_signins = (member.failed_signins or 0) + 1
    audit(session, member, "staff.signin_failed", "staff", member.id, None, {"stage": stage, "failures": member.failed_signins})
    if member.locked_at is None and member.failed_signins >= policy.lock_after:
        member.locked_at = now
        audit(session, member, "staff.locked", "staff", member.id, None, {"failures": member.failed_signins})
    session.commit()


def signed_in(session: Session, member: Staff) -> None:
    member.failed_signins = 0
    audit(session, member, "staff.signin", "staff", member.id)
    session.commit()


def signed_out(session: Session, member: Staff) -> None:
    audit(session, member, "staff.signout", "staff", member.id)
    session.commit()


def change_password(session: Session, member: Staff, current: str, new: str, now: datetime, policy: Policy) -> None:
    """The member's own change: the current password first."""
    if not _password_matches(member, current, policy):
        raise CredentialsError("the current password is not right")
    member.password_hash = hash_password(new, policy)
    member.password_changed_at = now
    audit(session, member, "staff.password_changed", "staff", member.id)
    session.commit()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(member: Staff, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as text or a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=member.login or str(member.id), issuer_name=ISSUER)


def enable_totp(session: Session, member: Staff, secret: str, code: str, now: datetime) -> None:
    """Turn on the second factor with ``secret`` once a code from it proves the app has it."""
    if not _take_code(member, secret, code, now):
        raise CredentialsError("the code does not match; check the time on your phone and try the next code")
    member.totp_secret = secret
    audit(session, member, "staff.totp_enabled", "staff", member.id)
    session.commit()


def remove_totp(session: Session, member: Staff, password: str, policy: Policy) -> None:
    if needs_totp(member, policy):
        raise CredentialsError("your role signs in with a second factor; it cannot be removed")
    if not _password_matches(member, password, policy):
        raise CredentialsError("the current password is not right")
    member.totp_secret = None
    audit(session, member, "staff.totp_removed", "staff", member.id)
    session.commit()


def check_new_credentials(session: Session, role: str, login: str, password: str | None, totp: bool, policy: Policy) -> None:
    """Raise CredentialsError when a new member could not be given this sign-in (checked before creating them)."""
    name = normal_login(login)
    if not name or len(name) > LOGIN_MAX or any(c.isspace() for c in name):
        raise CredentialsError(f"a login name has 1 to {LOGIN_MAX} characters and no spaces")
    if session.scalar(select(Staff.id).where(Staff.login == name)) is not None:
        raise CredentialsError(f"the login name {name!r} is in use")
    if password is not None:
        hash_password(password, policy)
    if (policy.totp_all_roles or role in TOTP_ROLES) and not totp:
        raise CredentialsError(f"a {role} signs in with a second factor: give --totp")


def set_credentials(session: Session, operator: Actor, member: Staff, *, login: str | None = None,
                    password: str | None = None, new_totp: bool = False, remove_totp: bool = False,
                    unlock: bool = False, policy: Policy) -> str | None:
    """An admin's creation or reset of a member's sign-in; the new ``otpauth://`` URI when ``new_totp``.

    Raises CredentialsError for a login in use, a weak password, or a second
    factor the role needs missing for a new sign-in. A reset (of the password,
    the lock or the second factor) of a member whose role or the setting needs a
    second factor they lack is not refused: the member sets one up at their next
    sign-in before anything else (:func:`must_enrol`).
    """
    try:
        return _set_credentials(session, operator, member, login=login, password=password, new_totp=new_totp,
                                remove_totp=remove_totp, unlock=unlock, policy=policy)
    except CredentialsError:
        session.rollback()
        raise


def _set_credentials(session: Session, operator: Actor, member: Staff, *, login: str | None, password: str | None,
                     new_totp: bool, remove_totp: bool, unlock: bool, policy: Policy) -> str | None:
    changed: dict[str, bool] = {}
    # Giving a member a sign-in for the first time asks for the second factor their role needs, as creating one does.
    new_signin = member.login is None
    if login is not None:
        name = normal_login(login)
        if not name or len(name) > LOGIN_MAX or any(c.isspace() for c in name):
            raise CredentialsError(f"a login name has 1 to {LOGIN_MAX} characters and no spaces")
        taken = session.scalar(select(Staff).where(Staff.login == name, Staff.id != member.id))
        if taken is not None:
            raise CredentialsError(f"the login name {name!r} is in use")
        member.login, changed["login"] = name, True
    if password is not None:
        member.password_hash, changed["password"] = hash_password(password, policy), True
        member.password_changed_at = None
    uri = None
    if remove_totp:
        # A lost phone: a member whose role needs a second factor sets up a new one at the next sign-in.
        member.totp_secret, member.totp_last_step, changed["totp_removed"] = None, None, True
    if new_totp:
        secret = new_totp_secret()
        member.totp_secret, member.totp_last_step, changed["totp"] = secret, None, True
        uri = totp_uri(member, secret)
    if new_signin and member.password_hash and must_enrol(member, policy):
        raise CredentialsError(f"a {member.role} signs in with a second factor: give --totp")
    if unlock or password is not None:
        changed["unlocked"] = member.locked_at is not None
        member.locked_at, member.failed_signins = None, 0
    if must_enrol(member, policy):
        changed["must_enrol"] = True
    audit(session, operator, "staff.credentials_reset", "staff", member.id, None, changed)
    session.commit()
    return uri
