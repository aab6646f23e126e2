"""The behaviour every photo store promises, checked on each backend."""

from __future__ import annotations

import pytest

from service.storage.base import ObjectNotFound

KEY = "originals/ab/abcdef0123456789.jpg"

UNSAFE_KEYS = [
    "",
    "/etc/passwd",
    "../outside.jpg",
    "originals/../../outside.jpg",
    "originals/..",
    "originals\\ab\\x.jpg",
    "originals/a\x00b.jpg",
    "originals//x.jpg",
    "originals/",
    "./originals/x.jpg",
    "originals/./x.jpg",
    "a" * 1025,
]


def test_put_then_get_returns_the_same_bytes(store, red_jpeg):
    store.put(KEY, red_jpeg, "image/jpeg")

    assert store.get(KEY) == red_jpeg


def test_put_on_an_existing_key_replaces_the_photo(store, red_jpeg, blue_jpeg):
    store.put(KEY, red_jpeg, "image/jpeg")
    store.put(KEY, blue_jpeg, "image/jpeg")

    assert store.get(KEY) == blue_jpeg


def test_get_of_a_missing_key_raises_object_not_found(store):
    with pytest.raises(ObjectNotFound):
        store.get("originals/00/missing.jpg")


def test_object_not_found_is_a_key_error_naming_the_key(store):
    with pytest.raises(KeyError) as caught:
        store.get("originals/00/missing.jpg")

    assert caught.value.args == ("originals/00/missing.jpg",)


def test_get_of_a_key_prefix_is_not_an_object(store, red_jpeg):
    store.put(KEY, red_jpeg, "image/jpeg")

    assert not store.exists("originals/ab")
    with pytest.raises(ObjectNotFound):
        store.get("originals/ab")


def test_exists_tells_stored_from_missing_keys(store, red_jpeg):
    store.put(KEY, red_jpeg, "image/jpeg")

    assert store.exists(KEY)
    assert not store.exists("originals/ab/other.jpg")


def test_delete_removes_the_photo_and_a_second_delete_is_fine(store, red_jpeg):
    store.put(KEY, red_jpeg, "image/jpeg")

    store.delete(KEY)
    store.delete(KEY)

    assert not store.exists(KEY)
    with pytest.raises(ObjectNotFound):
        store.get(KEY)


def test_delete_of_a_never_stored_key_is_fine(store):
    store.delete("derivatives/large/never.jpg")

    assert not store.exists("derivatives/large/never.jpg")


def test_keys_with_unicode_and_dots_in_names_are_stored(store, red_jpeg):
    key = "derivatives/thumb/道路-v1.2.jpg"
    store.put(key, red_jpeg, "image/jpeg")

    assert store.get(key) == red_jpeg


@pytest.mark.parametrize("key", UNSAFE_KEYS, ids=repr)
def test_unsafe_keys_are_refused_by_every_operation(store, key, red_jpeg):
    with pytest.raises(ValueError):
        store.put(key, red_jpeg, "image/jpeg")
    with pytest.raises(ValueError):
        store.get(key)
    with pytest.raises(ValueError):
        store.exists(key)
    with pytest.raises(ValueError):
        store.delete(key)
    with pytest.raises(ValueError):
        store.signed_url(key, 60)
