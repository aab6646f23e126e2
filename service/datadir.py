"""The data directory and the private files in it, readable by the service's own user only.

The SQLite database holds reporters' contact data and webhook secrets, the
secret key signs sessions and photo URLs, and originals may carry a resident's
location. So the directory is 0700 and these files are 0600, whether they are
created now or were left by an older install with looser modes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
# SQLite keeps a database's recent writes and its shared memory beside it.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def secure_data_dir(settings: Mapping[str, Any]) -> None:
    """Create the data directory when the service keeps files in it, and tighten the modes of what is there.

    The SQLite database file is created empty with mode 0600 before SQLite
    first opens it: SQLite gives its WAL and shared-memory files the mode of
    the database. Raises OSError when the directory cannot be created.
    """
    data_dir = Path(settings["DATA_DIR"])
    database = sqlite_path(settings["DATABASE_URL"])
    if database is not None or not settings.get("SECRET_KEY"):
        data_dir.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if data_dir.is_dir():
        _tighten(data_dir, DIRECTORY_MODE)
        # Only the directory's own files: photos below it are written 0600 by
        # the photo store, and a walk over every photo at each start is too slow.
        for entry in data_dir.iterdir():
            if entry.is_file() and not entry.is_symlink():
                _tighten(entry, FILE_MODE)
    photo_dir = Path(settings["PHOTO_DIR"]) if settings.get("PHOTO_DIR") else None
    if photo_dir is not None and photo_dir.is_dir():
        _tighten(photo_dir, DIRECTORY_MODE)
    if database is not None:
        database.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        for suffix in SQLITE_COMPANIONS:
            companion = database.with_name(database.name + suffix)
            if companion.is_file():
                _tighten(companion, FILE_MODE)


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.database.startswith("file:"):
        return None
    return Path(url.database)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            path.chmod(current & mode)
        except PermissionError:
            # Another user owns it; the service still runs, and the operator is told.
            log.warning("cannot tighten the mode of %s (%o): it belongs to another user", path, current)
            return
        log.info("tightened the mode of %s from %o to %o", path, current, current & mode)
