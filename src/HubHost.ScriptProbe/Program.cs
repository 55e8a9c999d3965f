using System.Reflection;
using TorchSharp;

// The TorchScript probe: `dotnet exec [--depsfile HOST.deps.json] HubHost.ScriptProbe.dll ARCHIVE`. Sets up libtorch as
// the hub does (HubHost.Native.TorchNative, found beside this program: the host's own HubHost.Checkpoints.dll), loads the archive
// with torch.jit.load and says on one stdout line how that went. libtorch may also end this process (a TorchScript
// compile error escapes TorchSharp as a C++ exception: abort) or never finish (__setstate__ code that loops): the hub
// reads both from the outside. Exit codes: 0 loaded, 2 libtorch refused the archive, 3 libtorch could not be set up,
// 64 bad usage.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet HubHost.ScriptProbe.dll ARCHIVE");
    return 64;
}
try
{
    var native = Type.GetType("HubHost.Native.TorchNative, HubHost.Checkpoints", throwOnError: true)!;
    native.GetMethod("EnsureLoaded", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes)!.Invoke(null, null);
}
catch (Exception e)
{
    var inner = e is TargetInvocationException { InnerException: { } cause } ? cause : e;
    Console.WriteLine("hubhost-probe: setup: " + OneLine(inner.Message));
    return 3;
}
try
{
    using var module = torch.jit.load(args[0]);
}
catch (Exception e)
{
    Console.WriteLine("hubhost-probe: refused: " + OneLine(e.Message));
    return 2;
}
Console.WriteLine("hubhost-probe: loaded");
return 0;

static string OneLine(string text) => text.Split('\n', 2)[0].Trim();
