"""Peer of `hubhost run plugins-sample/vision resnet18 --input X.npy` in the vision benchmark: a whole python
process that imports torch, loads resnet18 from torchvision's hubconf with torch.hub.load(source='local'), and runs
it once on X.npy (eval, no_grad), printing the argmax. With --import-only: prints how long `import torch` took (ms).

usage: /usr/bin/python3 bench/python/vision_run.py X.npy | --import-only
"""
import os
import sys
import time

t0 = time.perf_counter()
import torch  # noqa: E402

if sys.argv[1] == "--import-only":
    print(f"{(time.perf_counter() - t0) * 1000:.3f}")
    sys.exit(0)
import numpy as np  # noqa: E402

hub = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vision_hub")
model = torch.hub.load(hub, "resnet18", source="local").eval()
with torch.no_grad():
    y = model(torch.from_numpy(np.load(sys.argv[1])))
print(int(y.argmax(1)[0]))
