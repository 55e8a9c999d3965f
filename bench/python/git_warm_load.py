"""Peer of the warm-load figure of `dotnet run -c Release --project bench/HubHost.Bench -- git`.

torch.hub.load of a git repo whose ref is already in the hub cache (source='github' with an explicit ref: no
network), timed as a whole process from outside. The cached checkout (<hub_dir>/hubs_demo_main with a tiny
hubconf.py) is created on first use, the way torch.hub would have left it after a download.

usage: /usr/bin/python3 bench/python/git_warm_load.py HUB_DIR
"""
import os
import sys

import torch

hub_dir = sys.argv[1]
repo_dir = os.path.join(hub_dir, "hubs_demo_main")
if not os.path.exists(os.path.join(repo_dir, "hubconf.py")):
    os.makedirs(repo_dir, exist_ok=True)
    with open(os.path.join(repo_dir, "hubconf.py"), "w") as f:
        f.write("dependencies = []\n\n\ndef hello(name='world'):\n    return 'main-1 ' + name\n")
torch.hub.set_dir(hub_dir)
print(torch.hub.load("hubs/demo:main", "hello", source="github", trust_repo=True, skip_validation=True))
