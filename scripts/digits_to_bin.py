#!/usr/bin/env python3
"""Converts the UCI optical handwritten digits, as packaged by scikit-learn, into the compact
file the training example reads: examples/data/digits.bin, 1797 records of 65 bytes each
(64 pixel intensities 0..16 of an 8x8 image, row-major, then the label 0..9), in the order
scikit-learn gives them.

    python3 -m venv /work/venv && /work/venv/bin/pip install scikit-learn
    /work/venv/bin/python scripts/digits_to_bin.py

Source and licence: see examples/data/README.md.
"""
import pathlib

import numpy as np
from sklearn.datasets import load_digits

d = load_digits()
x = d.data.astype(np.uint8)
y = d.target.astype(np.uint8)
assert x.shape == (1797, 64) and x.max() <= 16 and y.max() == 9
out = pathlib.Path(__file__).resolve().parent.parent / "examples" / "data" / "digits.bin"
out.write_bytes(np.concatenate([x, y[:, None]], axis=1).tobytes())
print(f"wrote {out} ({out.stat().st_size} bytes)")
