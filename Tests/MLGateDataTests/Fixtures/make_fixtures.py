"""Writes the Arrow/Feather and .npy fixtures of MLGateDataTests with pyarrow and numpy, and expected.json
(every column's values; floats as hex strings). Run from anywhere: python make_fixtures.py
Needs numpy and pyarrow (pip install numpy pyarrow); the tests read only the committed files.
"""
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


rng = np.random.default_rng(14)
n = 1000
label = (rng.random(n) < 0.3).astype(np.int64)
# Scores rounded to 3 decimals repeat, so LZ4 finds matches (literal runs, matches, overlapping copies).
score = np.round(rng.random(n), 3)
score[:4] = [0.0, -0.0, 1e-300, 0.1 + 0.2]
exact = rng.random(n)  # full-precision doubles
ids = [f"row-{i % 97}-{i}" for i in range(n)]
table = pa.table({
    "label": pa.array(label, pa.int64()),
    "score": pa.array(score, pa.float64()),
    "exact": pa.array(exact, pa.float64()),
    "f32": pa.array(score.astype(np.float32), pa.float32()),
    "i8": pa.array((label * 3 - 1).astype(np.int8), pa.int8()),
    "u16": pa.array(np.arange(n, dtype=np.uint16), pa.uint16()),
    "flag": pa.array(label == 1, pa.bool_()),
    "id": pa.array(ids, pa.string()),
})
feather.write_feather(table, path("preds_lz4.feather"))  # pyarrow's default: LZ4 frame buffers
feather.write_feather(table, path("preds_plain.feather"), compression="uncompressed")
feather.write_feather(table.slice(0, 50), path("preds_zstd.feather"), compression="zstd")
# Two record batches in the IPC stream format.
with pa.OSFile(path("preds_stream.arrows"), "wb") as sink:
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=400):
            writer.write_batch(batch)
feather.write_feather(pa.table({"label": [0, 1, None], "score": [0.1, 0.2, 0.3]}), path("nulls.feather"))
feather.write_feather(pa.table({"label": [0, 1, 1], "score": pa.array(["a", "b", "c"]).dictionary_encode()}), path("category.feather"))
np.save(path("label.npy"), label.astype(np.uint8))
np.save(path("score.npy"), exact)
expected = {
    "rows": n,
    "label": [int(v) for v in label],
    "score": [float(v).hex() for v in score],
    "exact": [float(v).hex() for v in exact],
    "f32": [float(v).hex() for v in score.astype(np.float32)],
    "id_first": ids[:5], "id_last": ids[-1],
}
with open(path("expected.json"), "w") as out:
    json.dump(expected, out)
