"""Settings read from the environment, one line per setting.

Every setting has an environment variable, a type and a default that gives the
embedded default shape (SQLite, photos on local disk, an in-process worker,
offline geocoding). ``DATABASE_URL``, ``REDIS_URL`` and the S3 and Nominatim
settings switch the same code to the deployment shape.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _outbound_allowed(value: str) -> str:
    """The text itself, once every entry is known to be a network or a host name (ValueError otherwise)."""
    from service.domain.outbound import Policy

    Policy.parse(value)
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    parse: Callable[[str], Any]
    default: Any
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "MACHIKOE_DATA_DIR", str, "./var", "where SQLite, photos and the generated secret live"),
    Setting("DATABASE_URL", "DATABASE_URL", str, None, "SQLAlchemy URL; SQLite in DATA_DIR when unset"),
    Setting("REDIS_URL", "REDIS_URL", str, None, "Redis for the Celery broker, caches and rate limits"),
    Setting("CELERY_BROKER_URL", "CELERY_BROKER_URL", str, None, "broker URL; REDIS_URL, else in-memory"),
    Setting("SECRET_KEY", "MACHIKOE_SECRET_KEY", str, None, "signing secret; generated into DATA_DIR when unset"),
    Setting("PUBLIC_BASE_URL", "MACHIKOE_PUBLIC_BASE_URL", str, "", "absolute base for links; else a trusted or loopback host, else relative links"),
    Setting("TRUSTED_HOSTS", "MACHIKOE_TRUSTED_HOSTS", _names, None, "comma-separated host names served (.example.jp for subdomains); others get 400"),
    Setting("MAX_PHOTOS", "MACHIKOE_MAX_PHOTOS", int, 5, "photos per report"),
    Setting("MAX_PHOTO_BYTES", "MACHIKOE_MAX_PHOTO_BYTES", int, 50 * 1024 * 1024, "bytes per photo"),
    Setting("MAX_REQUEST_BYTES", "MACHIKOE_MAX_REQUEST_BYTES", int, 52 * 1024 * 1024, "bytes per request body"),
    Setting("MAX_JSON_BYTES", "MACHIKOE_MAX_JSON_BYTES", int, 64 * 1024, "bytes per body without file parts (JSON, urlencoded form)"),
    Setting("MAX_IMAGE_PIXELS", "MACHIKOE_MAX_IMAGE_PIXELS", int, 210_000_000, "pixels per photo, at intake and in the photo step; 200 MP phone modes fit"),
    Setting("SERVE_CONNECTION_LIMIT", "MACHIKOE_SERVE_CONNECTION_LIMIT", int, 1000, "connections `machikoe serve` holds open at once"),
    Setting("SERVE_CLIENT_TIMEOUT", "MACHIKOE_SERVE_CLIENT_TIMEOUT", float, 30.0, "seconds under `machikoe serve` for a request's headers, and for any silence"),
    Setting("PAGE_SIZE_MAX", "MACHIKOE_PAGE_SIZE_MAX", int, 100, "largest page a list returns"),
    Setting("PHOTO_STORAGE", "MACHIKOE_PHOTO_STORAGE", str, "local", "local or s3"),
    Setting("PHOTO_DIR", "MACHIKOE_PHOTO_DIR", str, None, "local photo root; DATA_DIR/photos when unset"),
    Setting("PHOTO_FORMAT", "MACHIKOE_PHOTO_FORMAT", str, "JPEG", "derivative format: JPEG or WEBP"),
    Setting("KEEP_ORIGINALS", "MACHIKOE_KEEP_ORIGINALS", _bool, True, "keep private originals after derivatives exist"),
    Setting("PHOTO_DETECTION", "MACHIKOE_PHOTO_DETECTION", _bool, True,
            "blur the faces a detector finds in public photos; off when staff review every photo by hand"),
    Setting("S3_BUCKET", "MACHIKOE_S3_BUCKET", str, None, "bucket for photos"),
    Setting("S3_ENDPOINT_URL", "MACHIKOE_S3_ENDPOINT_URL", str, None, "S3-compatible endpoint (MinIO and others)"),
    Setting("S3_PUBLIC_ENDPOINT_URL", "MACHIKOE_S3_PUBLIC_ENDPOINT_URL", str, None, "endpoint that browsers reach, for presigned URLs; S3_ENDPOINT_URL when unset"),
    Setting("S3_REGION", "MACHIKOE_S3_REGION", str, "ap-northeast-1", "S3 region"),
    Setting("S3_ACCESS_KEY_ID", "MACHIKOE_S3_ACCESS_KEY_ID", str, None, "S3 access key"),
    Setting("S3_SECRET_ACCESS_KEY", "MACHIKOE_S3_SECRET_ACCESS_KEY", str, None, "S3 secret key"),
    Setting("S3_CREATE_BUCKET", "MACHIKOE_S3_CREATE_BUCKET", _bool, False, "create the bucket at start when it is missing"),
    Setting("S3_PREFIX", "MACHIKOE_S3_PREFIX", str, "", "key prefix inside the bucket"),
    Setting("GEOCODER", "MACHIKOE_GEOCODER", str, "offline", "offline or nominatim"),
    Setting("NOMINATIM_DOMAIN", "MACHIKOE_NOMINATIM_DOMAIN", str, "nominatim.openstreetmap.org", "Nominatim host[:port]"),
    Setting("NOMINATIM_SCHEME", "MACHIKOE_NOMINATIM_SCHEME", str, "https", "http or https"),
    Setting("NOMINATIM_USER_AGENT", "MACHIKOE_NOMINATIM_USER_AGENT", str, "machikoe", "User-Agent sent to Nominatim"),
    Setting("STATUS_STAMP_SECONDS", "MACHIKOE_STATUS_STAMP_SECONDS", float, 1.0,
            "seconds a process answers polls of a report's public view from the stamp it read (0: read it for every poll)"),
    Setting("NOMINATIM_TIMEOUT", "MACHIKOE_NOMINATIM_TIMEOUT", float, 5.0, "seconds per Nominatim request"),
    Setting("NOMINATIM_MIN_DELAY", "MACHIKOE_NOMINATIM_MIN_DELAY", float, 1.0, "seconds between Nominatim requests"),
    Setting("NOMINATIM_MAX_RETRIES", "MACHIKOE_NOMINATIM_MAX_RETRIES", int, 2, "retries before falling back"),
    Setting("GEOCODER_LANGUAGE", "MACHIKOE_GEOCODER_LANGUAGE", str, "ja", "language of addresses"),
    Setting("DUPLICATE_RADIUS_M", "MACHIKOE_DUPLICATE_RADIUS_M", float, 50.0, "default radius for duplicate candidates"),
    Setting("DUPLICATE_WINDOW_DAYS", "MACHIKOE_DUPLICATE_WINDOW_DAYS", int, 30, "window for duplicate candidates"),
    Setting("RESIDENT_SITES_FILE", "MACHIKOE_RESIDENT_SITES_FILE", str, "", "JSON file of the resident pages per jurisdiction: name, logo, colour, contact, public_reports (config/resident_sites.json when unset)"),
    Setting("RATING_WINDOW_DAYS", "MACHIKOE_RATING_WINDOW_DAYS", int, 30, "days after resolution a resident may rate"),
    Setting("YEAR_END_BREAK", "MACHIKOE_YEAR_END_BREAK", _bool, True, "29 Dec–3 Jan are not business days"),
    Setting("SWEEP_AFTER_SECONDS", "MACHIKOE_SWEEP_AFTER_SECONDS", int, 120, "age after which unprocessed reports are re-enqueued"),
    Setting("ENRICH_AFTER_SECONDS", "MACHIKOE_ENRICH_AFTER_SECONDS", int, 600, "age after which approximate addresses are geocoded again"),
    Setting("SWEEP_INTERVAL_SECONDS", "MACHIKOE_SWEEP_INTERVAL_SECONDS", float, 30.0, "how often the sweep runs"),
    Setting("RATING_REMINDER_DAYS", "MACHIKOE_RATING_REMINDER_DAYS", int, 7, "days after resolution an unrated report is reminded once"),
    Setting("NOTIFY_MAX_ATTEMPTS", "MACHIKOE_NOTIFY_MAX_ATTEMPTS", int, 8, "delivery attempts before a delivery is dead-lettered"),
    Setting("NOTIFY_TIMEOUT", "MACHIKOE_NOTIFY_TIMEOUT", float, 5.0, "seconds a webhook, push gateway or SMTP server may take"),
    Setting("NOTIFY_BACKOFF_BASE_SECONDS", "MACHIKOE_NOTIFY_BACKOFF_BASE_SECONDS", float, 10.0, "first retry delay, doubled per attempt, fully jittered"),
    Setting("NOTIFY_BACKOFF_CAP_SECONDS", "MACHIKOE_NOTIFY_BACKOFF_CAP_SECONDS", float, 3600.0, "longest retry delay"),
    Setting("NOTIFY_DISPATCH_INTERVAL_SECONDS", "MACHIKOE_NOTIFY_DISPATCH_INTERVAL_SECONDS", float, 5.0, "how often outbox events are dispatched"),
    Setting("NOTIFY_SWEEP_INTERVAL_SECONDS", "MACHIKOE_NOTIFY_SWEEP_INTERVAL_SECONDS", float, 60.0, "how often retries, rating reminders and overdue checks run"),
    Setting("SMTP_HOST", "MACHIKOE_SMTP_HOST", str, None, "SMTP server for e-mail subscribers; e-mail is off when unset"),
    Setting("SMTP_PORT", "MACHIKOE_SMTP_PORT", int, 25, "SMTP port"),
    Setting("SMTP_FROM", "MACHIKOE_SMTP_FROM", str, "machikoe@localhost", "sender address of notification mail"),
    Setting("SMTP_STARTTLS", "MACHIKOE_SMTP_STARTTLS", _bool, False, "upgrade the SMTP connection with STARTTLS"),
    Setting("SMTP_USER", "MACHIKOE_SMTP_USER", str, None, "SMTP login, when the server wants one"),
    Setting("SMTP_PASSWORD", "MACHIKOE_SMTP_PASSWORD", str, None, "SMTP password"),
    Setting("EMBEDDED_WORKER", "MACHIKOE_EMBEDDED_WORKER", _bool, None, "run a worker inside `machikoe serve`; on when the broker is in-memory"),
    Setting("SEED_DEMO", "MACHIKOE_SEED_DEMO", _bool, True, "seed the demo jurisdiction into an empty database at serve"),
    Setting("RATE_LIMITS_ENABLED", "MACHIKOE_RATE_LIMITS_ENABLED", _bool, True, "rate limits on intake, ratings and keys"),
    Setting("RATE_LIMIT_REPORTS_PER_ADDRESS", "MACHIKOE_RATE_LIMIT_REPORTS_PER_ADDRESS", str, "120/minute;1200/hour", "new reports per client address: a ceiling for an address many residents share (carrier-grade NAT)"),
    Setting("RATE_LIMIT_REPORTS_PER_DEVICE", "MACHIKOE_RATE_LIMIT_REPORTS_PER_DEVICE", str, "10/minute;60/hour", "new reports per device id"),
    Setting("RATE_LIMIT_REFUSED_PER_ADDRESS", "MACHIKOE_RATE_LIMIT_REFUSED_PER_ADDRESS", str, "60/minute;600/hour", "refused requests (4xx) per client address, counted apart from valid ones; past it they get 429"),
    Setting("RATE_LIMIT_REPORTS_PER_CLIENT", "MACHIKOE_RATE_LIMIT_REPORTS_PER_CLIENT", str, "300/minute;3000/hour", "new service requests per Open311 API client (a client sends for many residents)"),
    Setting("RATE_LIMIT_RATINGS", "MACHIKOE_RATE_LIMIT_RATINGS", str, "60/minute", "ratings per client address (a ceiling for a shared address)"),
    Setting("RATE_LIMIT_FOLLOWS", "MACHIKOE_RATE_LIMIT_FOLLOWS", str, "60/minute", "follows (\"me too\") per client address (a ceiling for a shared address)"),
    Setting("RATE_LIMIT_PLACE_SEARCHES", "MACHIKOE_RATE_LIMIT_PLACE_SEARCHES", str, "120/minute;2000/hour", "place searches (the report form's address search as residents type) per client address (a ceiling for a shared address)"),
    Setting("RATE_LIMIT_API_KEYS", "MACHIKOE_RATE_LIMIT_API_KEYS", str, "1200/minute", "requests per staff member's API key"),
    Setting("TRUSTED_PROXY_HOPS", "MACHIKOE_TRUSTED_PROXY_HOPS", int, 0, "reverse proxies in front whose X-Forwarded-For and -Proto are believed; 0 believes none"),
    Setting("OPEN311_CONTACT", "MACHIKOE_OPEN311_CONTACT", str, "", "contact shown in Open311 discovery"),
    Setting("MEDIA_FETCH_TIMEOUT", "MACHIKOE_MEDIA_FETCH_TIMEOUT", float, 15.0, "seconds for fetching one media_url, redirects included"),
    Setting("MEDIA_FETCH_MAX_REDIRECTS", "MACHIKOE_MEDIA_FETCH_MAX_REDIRECTS", int, 3, "redirects followed when fetching a media_url"),
    Setting("OUTBOUND_ALLOW_PRIVATE", "MACHIKOE_OUTBOUND_ALLOW_PRIVATE", _outbound_allowed, "", "comma-separated private networks and host names that media_url, webhooks, push gateways and SMTP may reach; none by default"),
    Setting("OPENDATA_COORDINATE_DECIMALS", "MACHIKOE_OPENDATA_COORDINATE_DECIMALS", int, 4, "decimals of every public coordinate: reports, Open311, open data (4 is about 10 m)"),
    Setting("LINE_API_BASE_URL", "MACHIKOE_LINE_API_BASE_URL", str, "https://api.line.me", "LINE Messaging API base URL"),
    Setting("LINE_DATA_API_BASE_URL", "MACHIKOE_LINE_DATA_API_BASE_URL", str, "https://api-data.line.me", "LINE content API base URL"),
    Setting("LINE_CONVERSATION_TIMEOUT_MINUTES", "MACHIKOE_LINE_CONVERSATION_TIMEOUT_MINUTES", int, 30, "a LINE conversation left this long starts over"),
    Setting("STAFF_SESSION_IDLE_MINUTES", "MACHIKOE_STAFF_SESSION_IDLE_MINUTES", int, 30, "a page session left unused this long ends (sign in again)"),
    Setting("STAFF_SESSION_LIFETIME_HOURS", "MACHIKOE_STAFF_SESSION_LIFETIME_HOURS", int, 12, "a page session ends this long after it began, used or not"),
    Setting("SESSION_COOKIE_SECURE", "MACHIKOE_SESSION_COOKIE_SECURE", _bool, None, "send the session cookie over https only; on for requests that came over https when unset"),
    Setting("STAFF_SIGNIN_LOCK_AFTER", "MACHIKOE_STAFF_SIGNIN_LOCK_AFTER", int, 10, "failed sign-ins in a row that lock an account until an admin unlocks it"),
    Setting("STAFF_TOTP_ALL_ROLES", "MACHIKOE_STAFF_TOTP_ALL_ROLES", _bool, False, "require the second factor (TOTP) of every role, not only admin and manager"),
    Setting("STAFF_PASSWORD_MIN_LENGTH", "MACHIKOE_STAFF_PASSWORD_MIN_LENGTH", int, 12, "characters a staff password needs at least"),
    Setting("STAFF_PASSWORD_HASH_MEMORY_KIB", "MACHIKOE_STAFF_PASSWORD_HASH_MEMORY_KIB", int, 65536, "memory of one argon2id password hash in KiB (at least 32; 65536 is RFC 9106's second profile); a password hashed otherwise is hashed again at its next sign-in"),
    Setting("RATE_LIMIT_SIGNINS_PER_ACCOUNT", "MACHIKOE_RATE_LIMIT_SIGNINS_PER_ACCOUNT", str, "5/minute;20/hour", "failed sign-ins per login name; past it every attempt gets 429"),
    Setting("RATE_LIMIT_SIGNINS_PER_ADDRESS", "MACHIKOE_RATE_LIMIT_SIGNINS_PER_ADDRESS", str, "20/minute;100/hour", "failed sign-ins per client address; past it every attempt gets 429"),
    Setting("MAP_TILE_URL", "MACHIKOE_MAP_TILE_URL", str, "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png", "map tiles of the pages ({z}/{x}/{y}); its host is allowed in the pages' Content-Security-Policy"),
    Setting("MAP_TILE_ATTRIBUTION", "MACHIKOE_MAP_TILE_ATTRIBUTION", str, "地理院タイル（国土地理院）", "attribution shown on the pages' maps"),
    Setting("FIGURES_TARGET_SLA_MET", "MACHIKOE_FIGURES_TARGET_SLA_MET", float, 0.9, "target share of reports answered and resolved by their due time, drawn on the figures page"),
    Setting("FIGURES_TARGET_MEAN_SCORE", "MACHIKOE_FIGURES_TARGET_MEAN_SCORE", float, 4.0, "target mean rating (1 to 5), drawn on the figures page"),
    Setting("RETENTION_DAYS", "MACHIKOE_RETENTION_DAYS", int, 365, "days after a report is closed until its personal data is removed, for a jurisdiction without its own setting"),
    Setting("PRIVACY_PURGE_INTERVAL_SECONDS", "MACHIKOE_PRIVACY_PURGE_INTERVAL_SECONDS", float, 3600.0, "how often the retention purge runs"),
    Setting("LOG_LEVEL", "MACHIKOE_LOG_LEVEL", str, "INFO", "log level"),
)


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting from ``environ`` (the process environment by default).

    Raises ValueError naming the variable when a value cannot be parsed.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ValueError(f"{setting.env}: cannot read {raw!r} ({exc})") from None
    return values


def derive_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Fill the settings whose defaults depend on others (paths, URLs)."""
    data_dir = Path(values["DATA_DIR"]).resolve()
    values["DATA_DIR"] = str(data_dir)
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{data_dir / 'machikoe.sqlite3'}"
    if values["DATABASE_URL"].startswith("postgresql://"):
        # psycopg 3 is the driver; plain postgresql:// would ask for psycopg2.
        values["DATABASE_URL"] = "postgresql+psycopg://" + values["DATABASE_URL"][len("postgresql://"):]
    if not values.get("PHOTO_DIR"):
        values["PHOTO_DIR"] = str(data_dir / "photos")
    if not values.get("CELERY_BROKER_URL"):
        values["CELERY_BROKER_URL"] = values.get("REDIS_URL") or "memory://localhost/"
    if values.get("EMBEDDED_WORKER") is None:
        values["EMBEDDED_WORKER"] = values["CELERY_BROKER_URL"].startswith("memory://")
    return values
