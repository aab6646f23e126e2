"""What the disk store adds to the shared contract: paths, atomic writes, no URLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service.storage.local import LocalPhotoStore

KEY = "originals/ab/abcdef0123456789.jpg"


def _files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_photo_is_a_file_at_the_key_path_under_the_root(tmp_path, red_jpeg):
    store = LocalPhotoStore(tmp_path)

    store.put(KEY, red_jpeg, "image/jpeg")

    assert store.path_for(KEY) == tmp_path.resolve() / "originals" / "ab" / "abcdef0123456789.jpg"
    assert (tmp_path / KEY).read_bytes() == red_jpeg


def test_root_and_directories_are_created_on_first_put(tmp_path, red_jpeg):
    store = LocalPhotoStore(tmp_path / "not" / "yet")

    store.put(KEY, red_jpeg, "image/jpeg")

    assert (tmp_path / "not" / "yet" / KEY).is_file()


def test_put_leaves_no_temporary_files_behind(tmp_path, red_jpeg, blue_jpeg):
    store = LocalPhotoStore(tmp_path)

    store.put(KEY, red_jpeg, "image/jpeg")
    store.put(KEY, blue_jpeg, "image/jpeg")

    assert _files_under(tmp_path) == [KEY]


def test_failed_write_keeps_the_old_photo_and_no_temporary_file(
    tmp_path, red_jpeg, blue_jpeg, monkeypatch
):
    store = LocalPhotoStore(tmp_path)
    store.put(KEY, red_jpeg, "image/jpeg")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.put(KEY, blue_jpeg, "image/jpeg")
    monkeypatch.undo()

    assert store.get(KEY) == red_jpeg
    assert _files_under(tmp_path) == [KEY]


def test_signed_url_is_none_so_the_api_serves_the_bytes(tmp_path, red_jpeg):
    store = LocalPhotoStore(tmp_path)
    store.put(KEY, red_jpeg, "image/jpeg")

    assert store.signed_url(KEY, 300) is None


def test_photo_files_are_readable_by_the_owner_only(tmp_path, red_jpeg):
    store = LocalPhotoStore(tmp_path)

    store.put(KEY, red_jpeg, "image/jpeg")

    assert store.path_for(KEY).stat().st_mode & 0o077 == 0


def test_symbolic_link_out_of_the_root_is_refused(tmp_path, red_jpeg):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "photos"
    root.mkdir()
    (root / "escape").symlink_to(outside, target_is_directory=True)
    store = LocalPhotoStore(root)

    with pytest.raises(ValueError):
        store.put("escape/x.jpg", red_jpeg, "image/jpeg")

    assert list(outside.iterdir()) == []


def test_path_for_refuses_an_unsafe_key(tmp_path):
    with pytest.raises(ValueError):
        LocalPhotoStore(tmp_path).path_for("../x.jpg")
