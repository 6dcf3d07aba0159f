#!/usr/bin/python3
"""Writes numpy_q4_0_q8_0.bin: reference Q4_0 and Q8_0 bytes from the quantizers of
../shared/peers/make_bench_model.py (numpy; byte-identical to ggml's quantize_row_{q4_0,q8_0}_ref).
Run from the repository root: /usr/bin/python3 quant/testdata/make_numpy_fixture.py ../shared/peers
Layout: uint32 nblocks, float32 x[32*nblocks], Q4_0 bytes (18*nblocks), Q8_0 bytes (34*nblocks)."""
import struct
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
import make_bench_model as m  # noqa: E402

rng = np.random.default_rng(20261128)
blocks = []
for i in range(40):
    s = np.float32(10.0 ** rng.uniform(-4, 2))
    kind = i % 5
    if kind == 0:
        b = rng.standard_normal(32, dtype=np.float32) * s
    elif kind == 1:
        b = (rng.uniform(-1, 1, 32) * s).astype(np.float32)
    elif kind == 2:
        b = np.zeros(32, dtype=np.float32)
        if i % 2:
            b[rng.integers(32)] = -s
    elif kind == 3:
        b = (np.arange(32, dtype=np.float32) - 16) * s   # regular grid, ties
    else:
        b = rng.standard_normal(32, dtype=np.float32) * s
        b[3], b[17] = -s * 4, s * 4                      # equal |max|, negative first
    blocks.append(b.astype(np.float32))
x = np.concatenate(blocks).astype(np.float32)
q4 = m.quantize_q4_0(x).tobytes()
q8 = m.quantize_q8_0(x).tobytes()
with open(sys.argv[2] if len(sys.argv) > 2 else "quant/testdata/numpy_q4_0_q8_0.bin", "wb") as f:
    f.write(struct.pack("<I", len(blocks)))
    f.write(x.tobytes())
    f.write(q4)
    f.write(q8)
print("wrote", len(blocks), "blocks")
