# A tiny torch.hub repo: the peer of plugins-sample/hello for bench/HubHost.Bench/Hub.
dependencies = []


def greet(name="world", times=1, excited=False):
    """Greets someone."""
    return " ".join(["hello"] * times) + ", " + name + ("!" if excited else ".")
