"""Peer of the `download` benchmark: torch.hub.download_url_to_file, timed.

usage: /usr/bin/python3 download.py URL DST HASH_PREFIX
Imports torch, prints "ready", then for each line "run" on stdin times one download (progress bar off, hash
check on), removes DST and prints the seconds elapsed and the process's CPU seconds; exits at end of input. One process serves all rounds, so the
benchmark can interleave torch's runs with HubHost's without a process start or exit in between.
"""
import os
import sys
import time

import torch.hub

url, dst, hash_prefix = sys.argv[1], sys.argv[2], sys.argv[3]
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() != "run":
        continue
    start, cpu = time.perf_counter(), time.process_time()
    torch.hub.download_url_to_file(url, dst, hash_prefix=hash_prefix, progress=False)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    os.remove(dst)
    print(f"{elapsed:.6f} {cpu:.6f}", flush=True)
