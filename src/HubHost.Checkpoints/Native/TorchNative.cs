using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using HubHost.Storage;
using TorchSharp;

namespace HubHost.Native;

/// <summary>
/// Loads TorchSharp's native libraries (libtorch and LibTorchSharp) once per process, before the hub or a hub
/// repo makes its first TorchSharp call, and turns every way that can fail into one <see cref="HubException"/>
/// naming the library, what is missing and the fix, instead of TorchSharp's load trace.
/// </summary>
/// <remarks>
/// <para>
/// <b>Older libstdc++ (Debian 12, Ubuntu 22.04, RHEL 9).</b> TorchSharp 0.107's libLibTorchSharp.so was built
/// with GCC 13, whose &lt;iostream&gt; makes the library require the symbol version GLIBCXX_3.4.32 (for the
/// marker <c>std::ios_base_library_init</c>, which it never calls: the symbol has no relocation). A libstdc++
/// that stops at GLIBCXX_3.4.30 makes the dynamic loader refuse the whole library. Only when that exact refusal
/// happens, the hub writes a copy of the library whose GLIBCXX_3.4.32 requirement is marked weak (VER_FLG_WEAK:
/// the loader then ignores it if missing) to <c>&lt;hubhost cache&gt;/native/&lt;sha256 of the original&gt;/</c>
/// and loads that copy instead; TorchSharp's P/Invokes are pointed at it with a DllImportResolver. The original
/// file, the NuGet cache and every system library stay untouched; a second run reuses the copy; where
/// libstdc++ is new enough nothing is written.
/// </para>
/// </remarks>
public static partial class TorchNative
{
    private const string LibTorchSharp = "LibTorchSharp";
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private static readonly Lock Gate = new();
    private static IntPtr _libTorchSharp;
    private static bool _loaded;
    private static bool _libTorchFromSystem;

    /// <summary>
    /// Makes sure TorchSharp can run in this process (idempotent, thread-safe). Call it before your own first
    /// TorchSharp call when you use TorchSharp outside the hub on a distribution with an older libstdc++; the
    /// hub calls it itself.
    /// </summary>
    /// <exception cref="HubException">libtorch or LibTorchSharp cannot be loaded; the message says why and how to fix it.</exception>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded)) return;
        lock (Gate)
        {
            if (_loaded) return;
            var torchSharp = typeof(torch).Assembly;
            LoadLibTorch(torchSharp);
            LoadLibTorchSharp(torchSharp);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is InvalidOperationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
            {
                throw new HubException($"TorchSharp {Version(torchSharp)} did not initialise its CPU backend: {FirstLine(e.Message)}. Check that the app's libtorch package matches TorchSharp {Version(torchSharp)} (TorchSharp-cpu of the same version).", e);
            }
            Volatile.Write(ref _loaded, true);
        }
    }

    /// <summary>Whether <see cref="EnsureLoaded"/> has loaded libtorch and LibTorchSharp in this process.</summary>
    public static bool IsLoaded => Volatile.Read(ref _loaded);

    /// <summary>The LibTorchSharp handle the hub loaded, for load contexts resolving a repo's P/Invokes (zero before <see cref="EnsureLoaded"/>).</summary>
    internal static IntPtr LibTorchSharpHandle => _libTorchSharp;

    /// <summary>Whether <paramref name="name"/> is how a P/Invoke names LibTorchSharp.</summary>
    internal static bool IsLibTorchSharp(string name)
        => name is LibTorchSharp or "libLibTorchSharp" or "libLibTorchSharp.so" or "LibTorchSharp.dll" or "libLibTorchSharp.dylib";

    private static void LoadLibTorch(Assembly torchSharp)
    {
        // The app's own libtorch first, by full path: a bare-name load would also find a system-wide libtorch of
        // another version (Debian's python3-torch installs libtorch 1.13 in /lib), which TorchSharp cannot use.
        if (AppLocal(torchSharp, "libtorch_cpu.so") is { } local)
        {
            try
            {
                NativeLibrary.Load(local);
            }
            catch (DllNotFoundException e)
            {
                throw new HubException($"libtorch ({local}) was found but could not be loaded: {LoaderReason(e.Message, local) ?? FirstLine(e.Message)}. Install the missing system library, or use the TorchSharp backend package built for this platform.", e);
            }
            if (AppLocal(torchSharp, "libtorch.so") is { } thin) NativeLibrary.TryLoad(thin, out _);
            return;
        }
        // No libtorch beside the app: accept one the embedder loaded into the process itself (TorchSharp's advice
        // for a Python install of PyTorch), never one a bare-name search happens to find.
        if (OperatingSystem.IsLinux() && !AlreadyLoaded("libtorch_cpu.so"))
            throw new HubException(NoLibTorch(torchSharp));
        try
        {
            NativeLibrary.Load("torch_cpu", torchSharp, null);
        }
        catch (DllNotFoundException e)
        {
            var reason = LoaderReason(e.Message, "torch_cpu");
            if (reason is null)
                throw new HubException(NoLibTorch(torchSharp), e);
            throw new HubException($"libtorch (torch_cpu) was found but could not be loaded: {reason}. Install the missing system library, or use the TorchSharp backend package built for this platform.", e);
        }
        _libTorchFromSystem = true;
        // libtorch.so is a thin library that LibTorchSharp needs by name; loaded here so that a LibTorchSharp
        // loaded from another folder (the patched copy) finds it among the loaded libraries.
        NativeLibrary.TryLoad("torch", torchSharp, null, out _);
    }

    /// <summary>Whether a library of that file name is already loaded in this process (dlopen with RTLD_NOLOAD loads nothing).</summary>
    private static bool AlreadyLoaded(string soname)
    {
        const int RtldLazy = 0x1, RtldNoLoad = 0x4;
        try
        {
            return DlOpen(soname, RtldLazy | RtldNoLoad) != IntPtr.Zero;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return true; // cannot ask: let the runtime's own search decide
        }
    }

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string file, int mode);

    /// <summary>A native library in the app's own native folders (the runtime's NATIVE_DLL_SEARCH_DIRECTORIES, then TorchSharp's folder).</summary>
    private static string? AppLocal(Assembly torchSharp, string fileName)
    {
        var folders = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (Path.GetDirectoryName(torchSharp.Location) is { Length: > 0 } own) folders.Add(own);
        return folders.Select(f => Path.Combine(f, fileName)).FirstOrDefault(File.Exists);
    }

    private static string NoLibTorch(Assembly torchSharp)
        => $"libtorch (the torch_cpu native library) is not part of this app: TorchSharp {Version(torchSharp)} needs a backend package. Add a PackageReference to TorchSharp-cpu {Version(torchSharp)} (or the TorchSharp-cuda package for your platform) to the app, then build it again.";

    /// <summary>The message for a LibTorchSharp that loaded its file but not its symbols from libtorch.</summary>
    private static string Mismatch(Assembly torchSharp, string reason)
        => $"LibTorchSharp (TorchSharp {Version(torchSharp)}'s native library) does not match the libtorch this process loaded{(_libTorchFromSystem ? " from the system (the app has none of its own)" : "")}: {reason}. TorchSharp {Version(torchSharp)} needs the libtorch its own backend package ships: add a PackageReference to TorchSharp-cpu {Version(torchSharp)} (or the matching TorchSharp-cuda package) to the app.";

    private static void LoadLibTorchSharp(Assembly torchSharp)
    {
        try
        {
            _libTorchSharp = NativeLibrary.Load(LibTorchSharp, torchSharp, null);
            return;
        }
        catch (DllNotFoundException e) when (e.Message.Contains($"`{MissingVersion}' not found", StringComparison.Ordinal) && RequiredBy(e.Message) is { } original)
        {
            _libTorchSharp = LoadWithWeakVersion(original, e);
        }
        catch (DllNotFoundException e)
        {
            var reason = LoaderReason(e.Message, LibTorchSharp);
            if (reason?.StartsWith("undefined symbol", StringComparison.Ordinal) == true) throw new HubException(Mismatch(torchSharp, reason), e);
            throw new HubException(reason is null
                ? $"LibTorchSharp, TorchSharp {Version(torchSharp)}'s native library, is not part of this app. Restore and build the app again (its TorchSharp package holds runtimes/<rid>/native/libLibTorchSharp.so)."
                : $"LibTorchSharp (TorchSharp {Version(torchSharp)}'s native library) could not be loaded: {reason}. Install the missing system library or update it to the version named.", e);
        }
        NativeLibrary.SetDllImportResolver(torchSharp, (name, _, _) => IsLibTorchSharp(name) ? _libTorchSharp : IntPtr.Zero);
    }

    /// <summary>Loads the copy of <paramref name="original"/> whose GLIBCXX_3.4.32 requirement is weak, writing it first if needed.</summary>
    private static IntPtr LoadWithWeakVersion(string original, DllNotFoundException refusal)
    {
        var bytes = File.ReadAllBytes(original);
        var folder = Path.Combine(UserCache.Native(), Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]);
        var copy = Path.Combine(folder, Path.GetFileName(original));
        try
        {
            if (!File.Exists(copy))
            {
                if (!ElfVersionNeeds.MakeWeak(bytes, MissingVersion))
                    throw new HubException($"{original} needs {MissingVersion} from libstdc++, which this system lacks, and the requirement could not be relaxed. Install libstdc++ from GCC 13 or later, or run on a newer distribution.", refusal);
                AtomicFile.WriteAllBytes(copy, bytes);
            }
            return NativeLibrary.Load(copy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new HubException($"{Path.GetFileName(original)} needs {MissingVersion} from libstdc++, which this system lacks; the hub relaxes that requirement in a copy under {folder}, but could not write or read it: {e.Message}. Make that folder writable (or set HUBHOST_HOME to a writable folder).", e);
        }
        catch (DllNotFoundException e)
        {
            var reason = LoaderReason(e.Message, copy) ?? FirstLine(e.Message);
            if (reason.StartsWith("undefined symbol", StringComparison.Ordinal)) throw new HubException(Mismatch(typeof(torch).Assembly, reason), e);
            throw new HubException($"The copy of {Path.GetFileName(original)} with its {MissingVersion} requirement relaxed ({copy}) still did not load: {reason}. Install libstdc++ from GCC 13 or later.", e);
        }
    }

    /// <summary>The library whose requirement failed: the path in the loader's "(required by …)".</summary>
    private static string? RequiredBy(string message)
    {
        var match = RequiredByPattern().Match(message);
        return match.Success && File.Exists(match.Groups[1].Value) ? match.Groups[1].Value : null;
    }

    /// <summary>
    /// The dynamic loader's reason for a file that exists but did not load (a missing dependency or symbol
    /// version); null when every candidate was simply absent.
    /// </summary>
    private static string? LoaderReason(string message, string name)
    {
        foreach (var line in message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Contains("cannot open shared object file", StringComparison.Ordinal) && line.Contains(name, StringComparison.OrdinalIgnoreCase)
                && !line.Contains("(required by", StringComparison.Ordinal))
                continue; // this candidate path does not exist
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (line.Contains("not found", StringComparison.Ordinal) || line.Contains("cannot open", StringComparison.Ordinal) || line.Contains("undefined symbol", StringComparison.Ordinal))
                return (colon >= 0 ? line[(colon + 2)..] : line).TrimEnd('.');
        }
        return null;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');

    private static string Version(Assembly torchSharp)
        => torchSharp.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? torchSharp.GetName().Version!.ToString(3);

    [GeneratedRegex(@"\(required by (/[^)]+)\)")]
    private static partial Regex RequiredByPattern();
}
