"""Session locks: at most one open store holds `(space, key)`; closing the store frees it."""

from __future__ import annotations

from store_contract import open_backend

from bosun.store.protocol import Store

SPACE = 0x7465  # a space of the tests' own


def test_a_session_lock_is_held_by_one_store_at_a_time(
    store: Store, backend: tuple[str, str]
) -> None:
    other = open_backend(backend)
    try:
        assert store.try_session_lock(SPACE, "main")
        assert store.holds_session_lock(SPACE, "main")
        assert not other.try_session_lock(SPACE, "main")
        assert not other.holds_session_lock(SPACE, "main")
        store.release_session_lock(SPACE, "main")
        assert not store.holds_session_lock(SPACE, "main")
        assert other.try_session_lock(SPACE, "main")
        assert not store.try_session_lock(SPACE, "main")
    finally:
        other.close()


def test_taking_a_held_lock_again_does_not_stack(store: Store, backend: tuple[str, str]) -> None:
    other = open_backend(backend)
    try:
        assert store.try_session_lock(SPACE, "main")
        assert store.try_session_lock(SPACE, "main")
        store.release_session_lock(SPACE, "main")  # one release frees it
        assert other.try_session_lock(SPACE, "main")
    finally:
        other.close()


def test_keys_and_spaces_are_independent(store: Store, backend: tuple[str, str]) -> None:
    other = open_backend(backend)
    try:
        assert store.try_session_lock(SPACE, "main")
        assert other.try_session_lock(SPACE, "release/1.0")
        assert other.try_session_lock(SPACE + 1, "main")
        store.release_session_lock(SPACE, "not-held")  # releasing what is not held: no-op
        assert store.holds_session_lock(SPACE, "main")
    finally:
        other.close()


def test_closing_the_store_frees_its_locks(store: Store, backend: tuple[str, str]) -> None:
    first = open_backend(backend)
    assert first.try_session_lock(SPACE, "main")
    first.close()
    assert store.try_session_lock(SPACE, "main")
