"""Peer of bench/HubHost.Bench/TorchScript/TorchScriptBenchmark.cs: PyTorch running the same TorchScript archive the hub
loads (torch.jit.load), on the same number of threads.

usage: /usr/bin/python3 bench/python/torchscript.py ARCHIVE --shape 1,3,520,520 [--warmup W] [--threads T]
    loads ARCHIVE, warms up, prints a JSON line {"ready": true, "torch": ..., "threads": ...}, then answers each line
    on stdin: "run" -> one timed forward pass (eval, no_grad) on a fixed N(0, 1) input, in ms; "load" -> one timed
    torch.jit.load of ARCHIVE, in ms. Stops at end of input. The C# benchmark interleaves its runs with these.
"""
import argparse
import json
import sys
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive")
    parser.add_argument("--shape", default="1,3,520,520")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn([int(d) for d in args.shape.split(",")])
    model = torch.jit.load(args.archive).eval()
    with torch.no_grad():
        for _ in range(args.warmup):
            model(x)
        print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            start = time.perf_counter()
            if command == "run":
                model(x)
            elif command == "load":
                torch.jit.load(args.archive)
            else:
                continue
            print(f"{(time.perf_counter() - start) * 1000.0:.4f}", flush=True)


if __name__ == "__main__":
    main()
