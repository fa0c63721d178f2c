"""The garbage collector kept off the reload path (reloader.engine._heap): automatic
collection pauses while a save is put in service; devreload collects once it is
idle, and only where the saves replaced a version."""

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


def replaced_version() -> weakref.ref[Node]:
    """What a reload leaves: a version's objects, now garbage (many, in cycles)."""
    version = [Node() for _ in range(20 * gc.get_threshold()[0])]
    first = weakref.ref(version[0])
    del version
    return first


def test_nothing_is_collected_while_a_save_is_put_in_service(
    collection: DeferredCollection,
) -> None:
    collection.defer()
    assert not gc.isenabled()
    old = replaced_version()
    assert old() is not None  # garbage, waiting
    collection.collect()
    assert gc.isenabled()
    assert old() is None


def test_saves_that_built_little_cost_no_full_collection(collection: DeferredCollection) -> None:
    gc.collect()
    before = full_collections()
    collection.defer()
    small = [Node() for _ in range(10)]
    del small
    collection.collect()
    assert gc.isenabled()
    assert full_collections() == before


def test_saves_without_a_pause_collect_up_front_after_a_few(
    collection: DeferredCollection,
) -> None:
    collection.defer()
    old = replaced_version()
    collection.defer()
    collection.defer()
    assert old() is not None and not gc.isenabled()
    collection.defer()  # the fourth in a row: the versions' garbage goes now
    assert old() is None and not gc.isenabled()
    collection.collect()
    assert gc.isenabled()


def test_resume_puts_automatic_collection_back(collection: DeferredCollection) -> None:
    collection.defer()
    collection.resume()
    assert gc.isenabled()
    collection.collect()  # nothing deferred any more
    assert gc.isenabled()
