#!/usr/bin/python3
"""PyTorch peer of the HubHost "checkpoints" benchmark (HubHost's readers load into TorchSharp tensors; the
benchmark also times TorchSharp.PyBridge in-process; this script times PyTorch itself).

  checkpoints.py generate DIR MB   writes DIR/model.pt (torch.save, zip format) holding ~MB megabytes of
                                   float32 tensors shaped like a mid-sized CNN/transformer state dict.
  checkpoints.py time PT ST RUNS   times torch.load(PT, weights_only=True) (torch 1.13: no mmap= argument,
                                   reads every record, does not check CRC-32), and reading the safetensors
                                   file ST into torch tensors, RUNS times each (after one warm-up run);
                                   prints JSON {case: [seconds...]}.

The `safetensors` Python package is not installed here (no PyPI access), so safetensors is read into torch
with a few lines of Python mirroring safetensors.torch.load_file: parse the header, then
torch.frombuffer over the file's bytes (copy: read the whole file; mmap: numpy.memmap, lazily mapped).
"""
import json
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}


def generate(folder, megabytes):
    torch.manual_seed(0)
    sd = OrderedDict()
    total = 0
    budget = megabytes * 1024 * 1024
    i = 0
    # Blocks of conv / linear weights with biases and norms, until the budget is used.
    while total < budget:
        shapes = [(256, 256, 3, 3), (256,), (256,), (1024, 256), (1024,), (256, 1024), (256,)]
        for j, shape in enumerate(shapes):
            t = torch.randn(*shape)
            sd[f"layers.{i}.p{j}"] = t
            total += t.numel() * 4
        sd[f"layers.{i}.num_batches_tracked"] = torch.tensor(i, dtype=torch.int64)
        i += 1
    torch.save(sd, f"{folder}/model.pt")
    print(json.dumps({"tensors": len(sd), "bytes": total}))


def safetensors_load(path, use_mmap):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        if use_mmap:
            buffer = np.memmap(path, dtype=np.uint8, mode="c")
        else:
            f.seek(0)
            buffer = bytearray(f.read())
    start = 8 + n
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if e == s:
            out[name] = torch.empty(info["shape"], dtype=dtype)
        else:
            out[name] = torch.frombuffer(buffer, dtype=dtype, count=(e - s) // torch.tensor([], dtype=dtype).element_size(), offset=start + s).reshape(info["shape"])
    return out


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
    return times


def main():
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "time":
        pt, st, runs = sys.argv[2], sys.argv[3], int(sys.argv[4])
        result = {
            "torch.load(zip, weights_only=True)": timed(lambda: torch.load(pt, weights_only=True), runs),
            "safetensors->torch copy": timed(lambda: safetensors_load(st, False), runs),
            "safetensors->torch mmap": timed(lambda: safetensors_load(st, True), runs),
        }
        print(json.dumps(result))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
