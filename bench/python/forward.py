"""Peer of bench/HubHost.Bench/Forward/ResNetForwardBenchmark.cs: times torchvision's resnet18 forward pass
(eval, no_grad, batch --batch (1), 3x224x224) on 2 threads (--threads to change).

usage: /usr/bin/python3 bench/python/forward.py [--warmup W] [--runs N] [--threads T]
    warm-up runs, then N timed runs; prints one JSON line:
    {"median_ms": ..., "min_ms": ..., "runs": N, "threads": 2, "torch": "...", "torchvision": "..."}
usage: /usr/bin/python3 bench/python/forward.py --serve [--warmup W] [--threads T]
    warm-up runs, prints a JSON line {"ready": true, ...}, then for each line "run" on stdin runs one timed
    forward pass of the eager model (torch.no_grad) and prints its milliseconds, and for each line "run ofi" one of
    torch.jit.optimize_for_inference(torch.jit.script(model)) (frozen, batch norms folded, oneDNN layouts;
    under torch.inference_mode, as its documentation runs it); stops at end of input. The C# benchmark uses
    this to interleave its runs with PyTorch's, so all see the same load on a shared machine.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    x = torch.randn(args.batch, 3, 224, 224)
    info = {"batch": args.batch, "threads": torch.get_num_threads(), "torch": torch.__version__, "torchvision": torchvision.__version__}

    def timed(m=model):
        start = time.perf_counter()
        m(x)
        return (time.perf_counter() - start) * 1000.0

    with torch.no_grad():
        for _ in range(args.warmup):
            model(x)
        if args.serve:
            # The optimized model: the profiling executor specializes over its first runs, so it warms up longer.
            optimized = torch.jit.optimize_for_inference(torch.jit.script(model))
            with torch.inference_mode():
                for _ in range(args.warmup + 3):
                    optimized(x)
            print(json.dumps(dict(ready=True, **info)), flush=True)
            for line in sys.stdin:
                command = line.strip()
                if command == "run":
                    print(f"{timed():.4f}", flush=True)
                elif command == "run ofi":
                    with torch.inference_mode():
                        print(f"{timed(optimized):.4f}", flush=True)
            return
        times = [timed() for _ in range(args.runs)]
    print(json.dumps(dict(median_ms=statistics.median(times), min_ms=min(times), runs=args.runs, **info)))


if __name__ == "__main__":
    main()
