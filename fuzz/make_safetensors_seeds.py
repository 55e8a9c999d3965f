#!/usr/bin/python3
"""Writes small safetensors seeds into fuzz/seeds/safetensors (the layout of the reference writer: 8-byte
header size, JSON header padded with spaces to 8 bytes, data sorted by dtype alignment then name)."""
import json
import os
import struct

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "safetensors")
RANK = {"BOOL": 0, "U8": 4, "I8": 5, "I16": 9, "F16": 11, "BF16": 12, "I32": 13, "F32": 15, "C64": 16, "F64": 17, "I64": 18}


def write(name, tensors, metadata=None):
    header, data, offset = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for key, (dtype, shape, raw) in sorted(tensors.items(), key=lambda kv: (-RANK[kv[1][0]], kv[0])):
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def main():
    os.makedirs(HERE, exist_ok=True)
    rng = np.random.default_rng(0)
    write("mixed.safetensors", {
        "w": ("F32", [2, 3], rng.standard_normal((2, 3)).astype("<f4").tobytes()),
        "h": ("F16", [4], rng.standard_normal(4).astype("<f2").tobytes()),
        "b": ("BF16", [2], b"\x80\x3f\x00\x40"),
        "i": ("I64", [3], np.arange(3, dtype="<i8").tobytes()),
        "m": ("BOOL", [2], b"\x01\x00"),
        "c": ("C64", [1], np.array([1 + 2j], dtype="<c8").tobytes()),
        "s": ("F64", [], np.array(2.5, dtype="<f8").tobytes()),
        "e": ("U8", [0, 3], b""),
    }, {"format": "pt"})
    write("one.safetensors", {"attn.0": ("F32", [1, 2, 3], np.arange(6, dtype="<f4").tobytes())})
    write("empty.safetensors", {})


if __name__ == "__main__":
    main()
