"""The Python half of `hubhost import` (shipped inside HubHost.dll; the hub writes it to a temp folder and runs it).

    python3 hub_import.py REQUEST.json

REQUEST.json: {"repo_dir", "entries": [names], "kwargs": {name: text}, "inputs": [{"shape", "dtype"} | {"file"}],
"out_dir", "seed"}. For each entry it calls torch.hub.load(repo_dir, entry, source='local', **kwargs), puts the model in
eval mode, scripts it with torch.jit.script (or, when that fails, traces it with torch.jit.trace on the example
inputs), saves the archive with torch.jit.save, and saves the example inputs and PyTorch's eager outputs for them as
.npy. A dictionary output is wrapped so the archive returns its values as a list in the recorded key order
(TorchSharp's script modules return no dictionaries); the hub gives the names back on the .NET side.

It writes out_dir/result.json: {"torch", "python", "entries": [...]} or {"error", "kind"}. The exit code is 0 when
everything was exported, 2 when result.json holds an error, anything else for a crash (stderr says what).
The model's own prints go to stderr, so nothing the repo prints can be mistaken for a result.
"""
import ast
import contextlib
import hashlib
import importlib.util
import inspect
import json
import os
import sys
import time
import traceback
import warnings


class ImportFailure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def first_line(text, limit=300):
    for line in str(text).splitlines():
        line = line.strip().rstrip(":")
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return str(text).strip()[:limit]


def parse_value(text):
    """--arg values: Python literals (None, True, 21, 0.5, 'x', [1, 2]); anything else is the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def load_hubconf(repo_dir):
    path = os.path.join(repo_dir, "hubconf.py")
    if not os.path.isfile(path):
        raise ImportFailure("repo", f"{repo_dir} has no hubconf.py: give the folder of a Python torch.hub repo")
    sys.path.insert(0, repo_dir)
    try:
        spec = importlib.util.spec_from_file_location("hubconf", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as e:  # the repo's own code failed
        raise ImportFailure("repo", f"hubconf.py of {repo_dir} failed to import: {type(e).__name__}: {first_line(e)}")
    finally:
        sys.path.remove(repo_dir)
    return module


def example_inputs(torch, np, specs, seed):
    torch.manual_seed(seed)
    inputs = []
    for spec in specs:
        if "file" in spec:
            array = np.load(spec["file"], allow_pickle=False)
            inputs.append(torch.from_numpy(np.ascontiguousarray(array)))
            continue
        shape, dtype = spec["shape"], spec.get("dtype", "float32")
        if dtype in ("float32", "float64", "float16", "bfloat16"):
            inputs.append(torch.randn(shape, dtype=getattr(torch, dtype)))
        elif dtype in ("int64", "int32", "int16", "int8", "uint8"):
            inputs.append(torch.randint(0, 100, shape, dtype=getattr(torch, dtype)))
        elif dtype == "bool":
            inputs.append(torch.rand(shape) < 0.5)
        else:
            raise ImportFailure("input", f"the example input's dtype {dtype} is not one of float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool")
    return inputs


def describe_outputs(torch, y):
    """(kind, [(key, tensor)]) of what a model returned: a tensor, a tuple or list of tensors, or a dict of them."""
    if isinstance(y, torch.Tensor):
        return "tensor", [("", y)]
    if isinstance(y, dict):
        if not y:
            raise ImportFailure("output", "the model returned an empty dictionary")
        items = list(y.items())
        kind = "dict"
    elif isinstance(y, (tuple, list)):
        if not y:
            raise ImportFailure("output", f"the model returned an empty {type(y).__name__}")
        items = [(str(i), v) for i, v in enumerate(y)]
        kind = "tuple" if isinstance(y, tuple) else "list"
    else:
        raise ImportFailure("output", f"the model returned {type(y).__name__}, not a tensor, a tuple or list of tensors, or a dict of tensors")
    for key, value in items:
        if not isinstance(key, str):
            raise ImportFailure("output", f"the model returned a dict with a {type(key).__name__} key ({key!r}); only string keys can be named on the .NET side")
        if not isinstance(value, torch.Tensor):
            raise ImportFailure("output", f"output {key!r} of the model is {type(value).__name__}, not a tensor; the hub brings over models whose outputs are tensors")
    return kind, items


def make_wrappers(torch):
    """Modules that give a dict-returning model a list output in a fixed key order, for 1, 2 or 3 inputs."""
    from typing import List

    class DictToList1(torch.nn.Module):
        def __init__(self, model, keys: List[str]):
            super().__init__()
            self.model = model
            self.keys = keys

        def forward(self, x):
            out = self.model(x)
            return [out[k] for k in self.keys]

    class DictToList2(torch.nn.Module):
        def __init__(self, model, keys: List[str]):
            super().__init__()
            self.model = model
            self.keys = keys

        def forward(self, x, y):
            out = self.model(x, y)
            return [out[k] for k in self.keys]

    class DictToList3(torch.nn.Module):
        def __init__(self, model, keys: List[str]):
            super().__init__()
            self.model = model
            self.keys = keys

        def forward(self, x, y, z):
            out = self.model(x, y, z)
            return [out[k] for k in self.keys]

    return {1: DictToList1, 2: DictToList2, 3: DictToList3}


def max_relative(torch, expected, actual):
    e = expected.double()
    scale = e.abs().max().item() if e.numel() else 0.0
    diff = (actual.double() - e).abs().max().item() if e.numel() else 0.0
    return diff, (diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf")))


def export_entry(torch, np, hubconf, request, name, wrappers):
    entry = getattr(hubconf, name, None)
    if entry is None or name.startswith("_") or not callable(entry):
        available = sorted(n for n, v in vars(hubconf).items() if inspect.isfunction(v) and not n.startswith("_"))
        shown = ", ".join(available[:40]) + (" ..." if len(available) > 40 else "")
        raise ImportFailure("entry", f"hubconf.py has no entrypoint {name}; it has: {shown}")
    doc = inspect.getdoc(entry) or ""
    kwargs = {k: parse_value(v) for k, v in request["kwargs"].items()}
    torch.manual_seed(request["seed"])
    try:
        with contextlib.redirect_stdout(sys.stderr):
            model = torch.hub.load(request["repo_dir"], name, source="local", **kwargs)
    except ImportFailure:
        raise
    except Exception as e:
        raise ImportFailure("entry", f"torch.hub.load(..., '{name}', source='local'{''.join(f', {k}={v!r}' for k, v in kwargs.items())}) failed: {type(e).__name__}: {first_line(e)}")
    if not isinstance(model, torch.nn.Module):
        raise ImportFailure("entry", f"the entrypoint {name} returned {type(model).__name__}, not a torch.nn.Module; hubhost import brings models over (write other entrypoints, such as tokenizers, in C#)")
    model.eval()
    inputs = example_inputs(torch, np, request["inputs"], request["seed"])
    with torch.no_grad():
        try:
            with contextlib.redirect_stdout(sys.stderr):
                eager = model(*inputs)
        except Exception as e:
            shapes = ", ".join(f"{list(x.shape)} {str(x.dtype).replace('torch.', '')}" for x in inputs)
            raise ImportFailure("input", f"{name} cannot run on the example input ({shapes}) in PyTorch: {type(e).__name__}: {first_line(e)}; give --example-input the shape (and dtype) the model takes")
    kind, outputs = describe_outputs(torch, eager)
    keys = [k for k, _ in outputs]
    to_export = model
    if kind == "dict":
        if len(inputs) not in wrappers:
            raise ImportFailure("output", f"{name} returns a dictionary and takes {len(inputs)} inputs; the hub wraps dictionary outputs of models with 1 to 3 inputs")
    method, script_error, tracer_warnings = "script", None, 0
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scripted = torch.jit.script(model)
            if kind == "dict":
                scripted = torch.jit.script(wrappers[len(inputs)](scripted, keys))
    except Exception as e:
        method, script_error = "trace", first_line(e)
        to_trace = wrappers[len(inputs)](model, keys) if kind == "dict" else model
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                scripted = torch.jit.trace(to_trace, tuple(inputs), check_trace=False, strict=kind != "dict")
            tracer_warnings = sum(1 for w in caught if issubclass(w.category, torch.jit.TracerWarning))
        except Exception as e2:
            raise ImportFailure("export", f"{name} could be neither scripted (torch.jit.script: {script_error}) nor traced (torch.jit.trace: {type(e2).__name__}: {first_line(e2)})")
    export_seconds = time.perf_counter() - started
    archive = os.path.join(request["out_dir"], f"{name}.pt")
    scripted.save(archive)
    # PyTorch running the saved archive on the same inputs: the archive itself is right before .NET sees it.
    loaded = torch.jit.load(archive)
    loaded.eval()
    with torch.no_grad():
        again = loaded(*inputs)
    again_items = [("", again)] if isinstance(again, torch.Tensor) else [(k, v) for k, v in zip(keys, again)]
    if len(again_items) != len(outputs):
        raise ImportFailure("export", f"the saved archive of {name} returns {len(again_items)} outputs where the model returns {len(outputs)}")
    archive_rel = max(max_relative(torch, e, a)[1] for (_, e), (_, a) in zip(outputs, again_items))
    files = {"inputs": [], "outputs": []}
    for i, x in enumerate(inputs):
        path = os.path.join(request["out_dir"], f"{name}.input{i}.npy")
        np.save(path, x.numpy())
        files["inputs"].append({"file": os.path.basename(path), "shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", "")})
    for i, (key, y) in enumerate(outputs):
        path = os.path.join(request["out_dir"], f"{name}.output{i}.npy")
        np.save(path, y.detach().contiguous().numpy())
        files["outputs"].append({"key": key, "file": os.path.basename(path), "shape": list(y.shape), "dtype": str(y.dtype).replace("torch.", "")})
    with open(archive, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    return {
        "name": name,
        "doc": doc,
        "kwargs": {k: repr(v) for k, v in kwargs.items()},
        "method": method,
        "scriptError": script_error,
        "tracerWarnings": tracer_warnings,
        "outputKind": kind,
        "archive": os.path.basename(archive),
        "sha256": sha256,
        "parameters": sum(p.numel() for p in model.parameters()),
        "modelClass": f"{type(model).__module__}.{type(model).__qualname__}",
        "inputs": files["inputs"],
        "outputs": files["outputs"],
        "archiveMaxRelative": archive_rel,
        "exportSeconds": export_seconds,
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    result_path = os.path.join(request["out_dir"], "result.json")

    def write(result):
        with open(result_path, "w", encoding="utf-8") as f:
            json.dump(result, f)

    try:
        try:
            import torch
            import numpy as np
        except ImportError as e:
            raise ImportFailure("no-torch", f"{sys.executable} cannot import {e.name or 'torch'}")
        hubconf = load_hubconf(request["repo_dir"])
        wrappers = make_wrappers(torch)
        entries = [export_entry(torch, np, hubconf, request, name, wrappers) for name in request["entries"]]
        write({"torch": torch.__version__, "python": sys.version.split()[0], "executable": sys.executable, "entries": entries})
        return 0
    except ImportFailure as e:
        write({"error": str(e), "kind": e.kind})
        return 2
    except Exception as e:  # a bug here or an unexpected failure in the repo's code
        traceback.print_exc()
        write({"error": f"{type(e).__name__}: {first_line(e)}", "kind": "unexpected"})
        return 2


if __name__ == "__main__":
    sys.exit(main())
