"""Peer of the `download` benchmark: torch.hub.download_url_to_file, timed.

usage: /usr/bin/python3 download.py URL DST HASH_PREFIX RUNS
Times RUNS downloads (progress bar off, hash check on; the import of torch is not timed), removing DST after
each, and prints the seconds of each run as a JSON list on stdout.
"""
import json
import os
import sys
import time

import torch.hub

url, dst, hash_prefix, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
times = []
for _ in range(runs):
    start = time.perf_counter()
    torch.hub.download_url_to_file(url, dst, hash_prefix=hash_prefix, progress=False)
    times.append(time.perf_counter() - start)
    os.remove(dst)
print(json.dumps(times))
