"""Peer of `dotnet run -c Release --project bench/HubHost.Bench -- hub`: torch.hub.load(source='local').

Prints JSON: first load in this process and the median of repeat loads, in milliseconds.
With --once: one load, for timing the whole process from outside.
"""
import json
import os
import statistics
import sys
import time

t0 = time.perf_counter()
import torch  # noqa: E402  (the import is part of what a user pays)

repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_hub")
if "--once" in sys.argv:
    print(torch.hub.load(repo, "greet", source="local", name="Ada"))
    sys.exit(0)

import_ms = (time.perf_counter() - t0) * 1000
start = time.perf_counter()
torch.hub.load(repo, "greet", source="local", name="Ada")
first_ms = (time.perf_counter() - start) * 1000
repeats = []
for _ in range(200):
    start = time.perf_counter()
    torch.hub.load(repo, "greet", source="local", name="Ada")
    repeats.append((time.perf_counter() - start) * 1000)
print(json.dumps({"import_torch_ms": import_ms, "first_load_ms": first_ms, "repeat_load_ms": statistics.median(repeats)}))
