"""The LSH band table finds every stored row sharing a band, whatever its layout: after
rehashes, with crowded buckets spilling into the overflow, through every insertion path."""

from __future__ import annotations

import numpy as np

from extractors import fingerprint as fp
from storage.dedup_tables import _band_hashes, _BandTable, _Rows


def _brute_force(stored: np.ndarray, sketch: np.ndarray) -> list[int]:
    keys = stored.view(np.uint32)
    return np.flatnonzero((keys == sketch.view(np.uint32)).any(axis=1)).tolist()


def _sketches(count: int, seed: int) -> np.ndarray:
    """Random sketches, a third of them sharing one band with an earlier one, and a few
    hundred sharing the very same band key: more than two buckets can hold."""
    rng = np.random.default_rng(seed)
    sketches = rng.integers(0, 1 << 16, (count, fp.BINS), dtype=np.uint16)
    for i in range(1, count, 3):
        source, band = int(rng.integers(0, i)), int(rng.integers(0, fp.BANDS))
        sketches[i, 2 * band : 2 * band + 2] = sketches[source, 2 * band : 2 * band + 2]
    sketches[count // 2 : count // 2 + 300, 0:2] = (7, 11)  # one crowded band key
    return sketches


def _fill(sketches: np.ndarray, batch: int) -> tuple[_Rows, _BandTable]:
    rows, table = _Rows(), _BandTable()
    for at in range(0, len(sketches), batch):
        chunk = sketches[at : at + batch]
        first = rows.append_many([f"{i:020x}" for i in range(at, at + len(chunk))], chunk, [0] * len(chunk), [0] * len(chunk))
        if batch == 1:
            table.insert(chunk[0].tolist(), first, rows)
        else:
            table.insert_many(first, _band_hashes(chunk), rows)
    return rows, table


def test_batched_look_ups_find_every_row_sharing_a_band_after_rehashes_and_overflow():
    sketches = _sketches(6000, seed=3)
    rows, table = _fill(sketches, batch=50)
    assert table.size > 1024  # grown (rehashed) several times
    assert table.overflow  # the crowded key did not fit its two buckets
    probes = np.concatenate([sketches[::7], _sketches(200, seed=4)])
    found, _, hashed = table.query_many(probes, rows)
    assert (hashed == _band_hashes(probes)).all()
    for probe, rows_found in zip(probes, found):
        assert rows_found == _brute_force(sketches, probe)


def test_a_batch_reports_its_own_documents_that_share_a_band():
    sketches = _sketches(40, seed=7)
    sketches[25, 6:8] = sketches[3, 6:8]  # document 25 shares band 3 with document 3
    sketches[30] = sketches[10]  # a copy
    rows, table = _fill(_sketches(300, seed=8), batch=50)
    _, shared, _ = table.query_many(sketches, rows)
    keys = sketches.view(np.uint32)
    expected = {i: [j for j in range(i) if (keys[i] == keys[j]).any()] for i in range(len(sketches))}
    assert shared == {i: js for i, js in expected.items() if js}
    assert 3 in shared[25]
    assert 10 in shared[30]


def test_single_insertions_and_look_ups_agree_with_brute_force():
    sketches = _sketches(2500, seed=5)
    rows, table = _fill(sketches, batch=1)
    for probe in sketches[::11]:
        assert table.query(probe.tolist(), rows) == _brute_force(sketches, probe)


def test_a_rehash_keeps_the_table_within_its_load_and_counts_every_entry():
    sketches = _sketches(5000, seed=6)
    rows, table = _fill(sketches, batch=100)
    in_slots = int((table.slots >= 0).sum())
    in_overflow = sum(len(v) for v in table.overflow.values())
    assert in_slots + in_overflow == table.used == len(sketches) * fp.BANDS
    assert in_slots <= _BandTable.MAX_LOAD * len(table.slots)
