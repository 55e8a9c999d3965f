"""Peer of bench/HubHost.Bench/Forward/ResNetForwardBenchmark.cs: times torchvision's resnet18 forward pass
(eval, no_grad, batch 1, 3x224x224) on 2 threads: warm-up runs, then the median of N timed runs.

usage: /usr/bin/python3 bench/python/forward.py [--warmup W] [--runs N]
Prints one JSON line: {"median_ms": ..., "min_ms": ..., "runs": N, "threads": 2, "torch": "..."}
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    x = torch.randn(1, 3, 224, 224)
    times = []
    with torch.no_grad():
        for _ in range(args.warmup):
            model(x)
        for _ in range(args.runs):
            start = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - start) * 1000.0)
    print(json.dumps({
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "runs": args.runs,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }))


if __name__ == "__main__":
    main()
