using System.Diagnostics;
using HubHost.Storage;
using HubHost.Native;
using HubHost.Tests.Infrastructure;
using TorchSharp;

namespace HubHost.Tests.Native;

[Collection(SharedHubCollection.Name)]
public sealed class TorchNativeTests(SharedHub hub)
{
    private static string OriginalLibTorchSharp()
        => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void TorchSharp_runs_after_EnsureLoaded_and_the_original_library_is_left_untouched()
    {
        TorchNative.EnsureLoaded();
        TorchNative.EnsureLoaded(); // idempotent
        using var x = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        Assert.Equal(15f, x.sum().item<float>());
        if (!OperatingSystem.IsLinux()) return;

        var original = File.ReadAllBytes(OriginalLibTorchSharp());
        var needs = ElfVersionNeeds.Read(original);
        var marker = Assert.Single(needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(marker.Weak, "the app's own copy keeps its strong requirement: the hub never edits it");
        var copies = Directory.Exists(UserCache.Native())
            ? Directory.EnumerateFiles(UserCache.Native(), "libLibTorchSharp.so", SearchOption.AllDirectories).ToList()
            : [];
        if (SystemLibstdcxxHas("GLIBCXX_3.4.32"))
        {
            Assert.Empty(copies); // new enough: nothing is written
            return;
        }
        // Older libstdc++ (Debian 12): a relaxed copy exists, differing only in that requirement's flag.
        var copy = File.ReadAllBytes(Assert.Single(copies));
        Assert.Equal(original.Length, copy.Length);
        Assert.Single(ElfVersionNeeds.Read(copy), n => n.Version == "GLIBCXX_3.4.32" && n.Weak);
        var differing = Enumerable.Range(0, original.Length).Count(i => original[i] != copy[i]);
        Assert.Equal(1, differing);
    }

    [Fact]
    public void MakeWeak_changes_only_the_named_requirement_and_is_idempotent()
    {
        var bytes = File.ReadAllBytes(OriginalLibTorchSharp());
        var before = ElfVersionNeeds.Read(bytes);
        Assert.True(ElfVersionNeeds.MakeWeak(bytes, "GLIBCXX_3.4.32"));
        Assert.False(ElfVersionNeeds.MakeWeak(bytes, "GLIBCXX_3.4.32"));
        var after = ElfVersionNeeds.Read(bytes);
        Assert.Equal(before.Count, after.Count);
        foreach (var (b, a) in before.Zip(after))
            Assert.Equal(b.Version == "GLIBCXX_3.4.32" || b.Weak, a.Weak);
        Assert.Contains(before, n => n.Library == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.30");
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read("not an elf file at all, not at all"u8.ToArray()));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(bytes.AsSpan(0, 4096)));
    }

    [Theory]
    // Without its own libtorch the app either finds none ("not part of this app") or a system-wide one of another
    // version (Debian's python3-torch puts libtorch 1.13 in /lib): both messages name the package that fixes it.
    [InlineData("libtorch", "Add a PackageReference to TorchSharp-cpu 0.107.0")]
    [InlineData("libLibTorchSharp", "LibTorchSharp, TorchSharp 0.107.0's native library, is not part of this app")]
    public async Task An_app_missing_a_native_library_gets_one_clear_error_line(string missing, string message)
    {
        // The CLI deployed without the native library: every file of its folder except that one.
        using var temp = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(AppContext.BaseDirectory, file);
            var native = relative.StartsWith("runtimes", StringComparison.Ordinal);
            if (native && (!relative.Contains("linux-x64", StringComparison.Ordinal) || Path.GetFileName(file).StartsWith(missing, StringComparison.Ordinal))) continue;
            var target = temp.Combine("app", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (native) File.CreateSymbolicLink(target, file); else File.Copy(file, target);
        }
        var info = CliRunner.StartInfo(["run", RepoPaths.Sample("vision"), "digits_mlp", "--input", Path.Combine(RepoPaths.Sample("vision"), "samples", "digits.npy")],
            new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory) });
        info.ArgumentList[0] = temp.Combine("app", "HubHost.Cli.dll");
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", await stdout); // TorchSharp's own trace (which it prints to stdout) never shows
        var errors = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains(message, errors[0]);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Trace from LoadNativeBackend", stderr);
    }

    private static bool SystemLibstdcxxHas(string version)
    {
        foreach (var path in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
            if (File.Exists(path)) return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains(version + "\0", StringComparison.Ordinal);
        return false;
    }
}
