"""Writes content/hubrepo/golden/digits_mlp.npy: real PyTorch's output of the template's digits_mlp with its
pretrained weights (plugins-sample/vision/digits_mlp.pt, packed as weights/digits_mlp.pt) on its example input
(plugins-sample/vision/samples/digits.npy, packed as samples/digits.npy), in eval mode. `hubhost check --golden golden`
compares the hub's output with it. Run with Debian's PyTorch: /usr/bin/python3 src/HubHost.Templates/make_golden.py
"""
import os

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
model.load_state_dict(torch.load(os.path.join(root, "plugins-sample", "vision", "digits_mlp.pt")), strict=True)
model.eval()
x = torch.from_numpy(np.load(os.path.join(root, "plugins-sample", "vision", "samples", "digits.npy")))
with torch.no_grad():
    y = model(x)
np.save(os.path.join(here, "content", "hubrepo", "golden", "digits_mlp.npy"), y.numpy().astype(np.float32))
print(y.shape, y.argmax(1).tolist(), torch.__version__)
