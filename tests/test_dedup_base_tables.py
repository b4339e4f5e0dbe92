"""Compacted dedup bases carry what a load would otherwise rebuild (their LSH table, sorted ids,
cluster roots, the story window's postings), and a load uses it: the decisions are those of the
index that wrote the month, and a base of the earlier format (no table) still loads."""

from __future__ import annotations

import numpy as np

from extractors import fingerprint as fp
from storage import dedup_shards, segments
from storage.compact import compact_store
from storage.dedup_index import DedupIndex
from storage.dedup_static import StaticTable, build
from storage.dedup_tables import _BandTable, _Rows
from storage.local import LocalStore
from tests.test_dedup_index import synthetic_stream
from tests.test_dedup_tables import _brute_force, _sketches


def _decide_rest(index: DedupIndex, rest: list) -> list:
    return [index.decide_and_add_many(rest[i:i + 20]) for i in range(0, len(rest), 20)]


def _written_then_compacted(tmp_path, count: int = 1500, written: int = 1200):
    store = LocalStore(tmp_path)
    stream = list(synthetic_stream(count))
    writer = DedupIndex(store)
    for start in range(0, written, 40):
        writer.decide_and_add_many(stream[start:start + 40])
        writer.flush(f"batch-{start}")
    compact_store(store)
    return store, stream, writer


def test_a_static_table_finds_every_row_sharing_a_band_single_and_batched():
    sketches = _sketches(3000, seed=5)
    rows = _Rows()
    rows.append_many([f"{i:020x}" for i in range(100)], sketches[:100], [0] * 100, [0] * 100)  # rows before the base
    rows.append_many([f"{i:020x}" for i in range(100, 3000)], sketches[100:], [0] * 2900, [0] * 2900)
    slots, spill_bucket, spill_entry = build(sketches[100:])
    table = _BandTable()
    table.statics.append(StaticTable(100, 2900, slots, spill_bucket, spill_entry))
    table.add_ranges([(0, 100)], rows)  # the rows before the base: in the growable table
    queries = np.concatenate((sketches[::7], _sketches(200, seed=6)))
    found, _shared, _hashed = table.query_many(queries, rows)
    for sketch, rows_found in zip(queries, found):
        expected = _brute_force(sketches, sketch)
        assert rows_found == expected
        assert table.query(sketch.tolist(), rows) == expected


def test_a_static_table_is_filled_to_its_load_and_holds_every_entry():
    sketches = _sketches(5000, seed=8)
    slots, spill_bucket, _spill_entry = build(sketches)
    held = int((slots >= 0).sum()) + len(spill_bucket)
    assert held == 5000 * fp.BANDS
    assert (slots >= 0).mean() > 0.9  # not the 75 % of a table grown by a poll


def test_a_base_with_a_stored_table_loads_without_rebuilding_and_decides_the_same(tmp_path, monkeypatch):
    store, stream, writer = _written_then_compacted(tmp_path)
    (base,) = [k for k in store.list("state/dedup/") if "/base-" in k]
    header, _body = segments.unpack(store.get(base))
    assert header["v"] == 3 and header["extras"]["slots"] > 0 and header["extras"]["postings"] > 0

    def no_rebuild(*_args, **_kwargs):
        raise AssertionError("a stored base was rebuilt")

    monkeypatch.setattr(_BandTable, "_resize", no_rebuild)
    monkeypatch.setattr("storage.dedup_window._StoryWindow.bulk_add", no_rebuild)
    loaded = DedupIndex(store)
    loaded.load_recent(stream[1199][3])
    assert len(loaded._bands.statics) == 1 and loaded._bands.statics[0].count == loaded._rows.n
    monkeypatch.undo()
    assert _decide_rest(loaded, stream[1200:]) == _decide_rest(writer, stream[1200:])


def test_an_old_base_without_the_table_still_loads_and_decides_the_same(tmp_path):
    store, stream, writer = _written_then_compacted(tmp_path)
    (base,) = [k for k in store.list("state/dedup/") if "/base-" in k]
    header, body = segments.unpack(store.get(base))
    old_header, old_body = dedup_shards.encode(dedup_shards.decode(header, body))  # the v2 layout
    assert old_header["v"] == 2
    store.delete(base)
    store.put(base, segments.pack({**old_header, "covers": header["covers"], "legacy": True}, old_body))
    loaded = DedupIndex(store)
    loaded.load_recent(stream[1199][3])
    assert not loaded._bands.statics and loaded._rows.n == len(dedup_shards.decode(header, body))
    assert _decide_rest(loaded, stream[1200:]) == _decide_rest(writer, stream[1200:])


def test_segments_written_after_the_base_are_merged_in_on_load(tmp_path):
    store, stream, writer = _written_then_compacted(tmp_path)
    for start in range(1200, 1300, 20):  # a poll after the compaction: segments beside the base
        writer.decide_and_add_many(stream[start:start + 20])
        writer.flush(f"later-{start}")
    loaded = DedupIndex(store)
    loaded.load_recent(stream[1299][3])
    assert len(loaded._bands.statics) == 1 and loaded._rows.n == writer._rows.n
    assert _decide_rest(loaded, stream[1300:]) == _decide_rest(writer, stream[1300:])


def test_a_base_repeating_an_id_of_an_earlier_month_keeps_the_first_copy(tmp_path):
    store, stream, writer = _written_then_compacted(tmp_path, count=400, written=400)
    (base,) = [k for k in store.list("state/dedup/") if "/base-" in k]
    cols = dedup_shards.decode(*segments.unpack(store.get(base)))
    month = base.split("/")[2]
    year, mon = map(int, month.split("-"))
    earlier = f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"
    # An overlapping run stored the first 30 documents again a month earlier (a month's edge): that
    # month's base holds them, so the later base repeats ids of an earlier part.
    first = np.zeros(len(cols), np.bool_)
    first[:30] = True
    copy = dedup_shards.take_rows(cols, first)
    copy = dedup_shards.Columns(*copy[:6], (copy.day.astype(np.int64) - 31).astype(np.uint16), *copy[7:])
    header, body = dedup_shards.encode_base(copy)
    store.put(f"state/dedup/{earlier}/base-00000001.bin", segments.pack({**header, "covers": [], "legacy": True}, body))
    loaded = DedupIndex(store)
    loaded.load_recent(stream[399][3])
    assert loaded._rows.n == len(cols)  # each id once
    assert [s.count for s in loaded._bands.statics] == [30]  # the later base was indexed the rebuilding way
    # Every id of the later base that was not repeated is there once, after the earlier month's rows.
    ids = [loaded._rows.id(r) for r in range(loaded._rows.n)]
    assert len(set(ids)) == len(ids)
