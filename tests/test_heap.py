"""The garbage collector kept off the reload path (reloader.engine._heap): automatic
collection pauses while a save is put in service; devreload collects once it is
idle, and only where a save replaced a version."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from reloader.engine._heap import DeferredCollection


class Node:
    """A cycle, so that only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collection() -> Iterator[DeferredCollection]:
    assert gc.isenabled()
    deferred = DeferredCollection(most_deferred=3)
    yield deferred
    deferred.resume()
    gc.enable()


def full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])


def replaced_version(collection: DeferredCollection) -> weakref.ref[Node]:
    """What a reload leaves: the replaced version's objects, now garbage (in cycles)."""
    collection.replaced_a_version()
    version = [Node() for _ in range(1000)]
    first = weakref.ref(version[0])
    del version
    return first


def test_nothing_is_collected_while_a_save_is_put_in_service(
    collection: DeferredCollection,
) -> None:
    collection.defer()
    assert not gc.isenabled()
    old = replaced_version(collection)
    assert old() is not None  # garbage, waiting
    collection.collect()
    assert gc.isenabled()
    assert old() is None


def test_a_save_that_replaced_no_version_costs_no_full_collection(
    collection: DeferredCollection,
) -> None:
    """A patch or an update in place: the automatic collections take what it made."""
    before = full_collections()
    collection.defer()
    made = [Node() for _ in range(100_000)]
    del made
    collection.collect()
    assert gc.isenabled()
    assert full_collections() == before


def test_versions_replaced_without_a_pause_are_collected_up_front_after_a_few(
    collection: DeferredCollection,
) -> None:
    collection.defer()
    old = replaced_version(collection)
    for _ in range(2):
        collection.defer()
        replaced_version(collection)
    assert old() is not None and not gc.isenabled()
    collection.defer()  # after the third: the versions' garbage goes now
    assert old() is None and not gc.isenabled()
    collection.collect()
    assert gc.isenabled()


def test_resume_puts_automatic_collection_back(collection: DeferredCollection) -> None:
    collection.defer()
    collection.resume()
    assert gc.isenabled()
    collection.collect()  # nothing deferred any more
    assert gc.isenabled()
