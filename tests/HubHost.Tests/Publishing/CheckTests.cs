using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Tests.Downloads;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace HubHost.Tests.Publishing;

/// <summary>
/// A hub repo that breaks every rule of `hubhost check` once (and has one entrypoint that keeps them all), written once per
/// test run with its weights on a loopback HTTP server, and checked through the real CLI.
/// </summary>
public sealed class BadRepo : IDisposable
{
    private readonly TempDirectory _temp = new("hubhost-check");

    public BadRepo()
    {
        Server = new LoopbackHttpServer();
        HubHost.Native.TorchNative.EnsureLoaded(); // before this process's first TorchSharp call
        manual_seed(1);
        var weights = _temp.Combine("tiny.safetensors");
        Safetensors.Save(weights, new Dictionary<string, Tensor> { ["weight"] = randn(2, 4), ["bias"] = randn(2) });
        var bytes = File.ReadAllBytes(weights);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..8];
        GoodPath = $"/w/tiny-{hash}.safetensors";
        CachedPath = $"/w/cached-{hash}.safetensors";
        Server.Serve(GoodPath, bytes);
        Server.Serve(CachedPath, bytes);
        Server.Serve("/w/tiny.safetensors", bytes);
        Server.Serve("/w/tiny-00000000.safetensors", bytes);
        Directory.CreateDirectory(Repo);
        File.WriteAllText(Path.Combine(Repo, "hubconf.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TorchSharp" Version="0.107.0" />
                <PackageReference Include="HubHost.Contract" Version="0.2.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(Repo, "Hubconf.cs"), """
            using HubHost.Contract;
            using TorchSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            namespace Bad;

            public static class Hubconf
            {
                public static int Counter { get; set; }

                public static Linear undocumented(int size = 4) => nn.Linear(size, 2);

                /// <summary>A linear layer.</summary>
                public static Linear no_param_doc(int size = 4) => nn.Linear(size, 2);

                /// <summary>Loads weights into a model.</summary>
                /// <param name="model">The model.</param>
                public static void load_into(nn.Module model) { }

                /// <summary>Returns its model in eval mode.</summary>
                public static Linear eval_mode() { var m = nn.Linear(4, 2); m.eval(); return m; }

                /// <summary>Returns null.</summary>
                public static Linear nothing() => null!;

                /// <summary>Throws.</summary>
                public static Linear broken() => throw new InvalidOperationException("the weights folder is missing");

                /// <summary>Its card's input does not fit.</summary>
                public static Linear wrong_input() => nn.Linear(4, 2);

                /// <summary>Needs an argument.</summary>
                /// <param name="size">The size.</param>
                public static Linear needs(int size) => nn.Linear(size, 2);

                /// <summary>Weights at a URL without a hash in its name.</summary>
                /// <param name="pretrained">Load the weights.</param>
                public static Linear unhashed(bool pretrained = false) => Load(pretrained, "URL/w/tiny.safetensors");

                /// <summary>Weights that do not match the hash in their name.</summary>
                /// <param name="pretrained">Load the weights.</param>
                public static Linear mismatched(bool pretrained = false) => Load(pretrained, "URL/w/tiny-00000000.safetensors");

                /// <summary>Weights at a URL that is not there.</summary>
                /// <param name="pretrained">Load the weights.</param>
                public static Linear missing(bool pretrained = false) => Load(pretrained, "URL/w/gone-12345678.safetensors");

                /// <summary>Weights done right.</summary>
                /// <param name="pretrained">Load the weights.</param>
                public static Linear good(bool pretrained = false) => Load(pretrained, "URLGOOD");

                /// <summary>Weights done right, for the cache tests.</summary>
                /// <param name="pretrained">Load the weights.</param>
                public static Linear cached(bool pretrained = false) => Load(pretrained, "URLCACHED");

                private static Linear Load(bool pretrained, string url)
                {
                    var model = nn.Linear(4, 2);
                    if (pretrained) model.load_state_dict(HubServices.For(typeof(Hubconf)).LoadStateDictFromUrl(url));
                    return model;
                }
            }
            """.Replace("URLGOOD", Server.Url(GoodPath)).Replace("URLCACHED", Server.Url(CachedPath)).Replace("URL/", Server.Url("/")));
        File.WriteAllText(Path.Combine(Repo, "hubconf.catalog.json"), """
            {
              "task": "classification",
              "input": { "shape": [3, 4], "dtype": "float32" },
              "colour": "blue",
              "entrypoints": {
                "wrong_input": { "input": { "shape": [1, 5] } },
                "godo": { "title": "Good" },
                "no_param_doc": { "image": "docs/missing.png", "paper": "ftp://example.org/paper", "task": "detection" },
                "needs": { "input": { "shape": [0, 4] } }
              }
            }
            """);
        Directory.CreateDirectory(Golden);
        Npy.Save(Path.Combine(Golden, "undocumented.npy"), zeros(3, 2));
        Npy.Save(Path.Combine(Golden, "stray.npy"), zeros(1));
    }

    public LoopbackHttpServer Server { get; }

    public string Repo => _temp.Combine("bad");

    public string Golden => _temp.Combine("golden");

    public string HubDirectory => _temp.Combine("hub");

    public string GoodPath { get; }

    public string CachedPath { get; }

    public Task<CliRunner.Result> CheckAsync(params string[] args)
        => CliRunner.RunAsync(["check", Repo, "--hub-dir", HubDirectory, .. args], null, TimeSpan.FromMinutes(5));

    public void Dispose()
    {
        Server.Dispose();
        _temp.Dispose();
    }
}

public sealed class CheckTests(BadRepo bad, ITestOutputHelper output) : IClassFixture<BadRepo>
{
    private static readonly (string Subject, string Rule)[] Expected =
    [
        ("README.md", "readme"),
        ("hubconf.catalog.json", "catalog"),
        ("Hubconf", "helper"),
        ("load_into", "helper"),
        ("load_into", "defaults"),
        ("undocumented", "summary"),
        ("undocumented", "parameter-doc"),
        ("no_param_doc", "parameter-doc"),
        ("eval_mode", "training-mode"),
        ("nothing", "returns"),
        ("broken", "call"),
        ("wrong_input", "example-input"),
        ("needs", "defaults"),
        ("unhashed", "weights"),
        ("mismatched", "weights"),
        ("missing", "weights"),
        ("undocumented", "golden"),
        ("stray.npy", "golden"),
    ];

    [Fact]
    public async Task Every_broken_rule_is_one_line_naming_the_entrypoint_the_rule_and_the_fix()
    {
        var json = await bad.CheckAsync("--pretrained", "--golden", bad.Golden, "--json");
        output.WriteLine(json.Stdout);
        Assert.Equal(1, json.ExitCode);
        Assert.Single(json.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.False(doc.RootElement.GetProperty("passed").GetBoolean());
        var findings = doc.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => (Subject: f.GetProperty("subject").GetString()!, Rule: f.GetProperty("rule").GetString()!, Level: f.GetProperty("level").GetString()!, Line: f.GetProperty("line").GetString()!))
            .Where(f => f.Subject != "cached") // the cache tests change what its URL answers
            .ToList();
        Assert.Equal(Expected.Distinct().Order(), findings.Select(f => (f.Subject, f.Rule)).Distinct().Order());
        Assert.All(findings, f =>
        {
            Assert.DoesNotContain('\n', f.Line);
            Assert.StartsWith($"{f.Subject}: {f.Rule}", f.Line);
            Assert.Contains(" Fix: ", f.Line);
        });
        // The catalog's six problems, each its own line.
        var catalog = findings.Where(f => f.Rule == "catalog").Select(f => f.Line).ToList();
        Assert.Equal(6, catalog.Count);
        Assert.Contains(catalog, l => l.Contains("unknown key \"colour\"", StringComparison.Ordinal));
        Assert.Contains(catalog, l => l.Contains("no entrypoint godo", StringComparison.Ordinal));
        Assert.Contains(catalog, l => l.Contains("docs/missing.png\" does not exist", StringComparison.Ordinal));
        Assert.Contains(catalog, l => l.Contains("ftp://example.org/paper\" is not an http(s) link", StringComparison.Ordinal));
        Assert.Contains(catalog, l => l.Contains("task \"detection\"", StringComparison.Ordinal));
        Assert.Contains(catalog, l => l.Contains("shape [0, 4] is not a sane input shape", StringComparison.Ordinal));
        var weights = findings.Where(f => f.Rule == "weights").ToDictionary(f => f.Subject, f => f.Line);
        Assert.Contains("no hash part", weights["unhashed"]);
        Assert.Contains("00000000", weights["mismatched"]);
        Assert.Contains("404", weights["missing"]);
        Assert.Contains("Counter", findings.Single(f => f.Subject == "Hubconf").Line);
        Assert.Contains("nn.Module model", findings.Single(f => f.Subject == "load_into" && f.Rule == "helper").Line);
        Assert.Equal(["Warning", "Warning"], findings.Where(f => f.Rule == "defaults").Select(f => f.Level));
        // The entrypoint that keeps every rule passes, with its pretrained weights.
        var good = doc.RootElement.GetProperty("entrypoints").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "good");
        Assert.Equal(["defaults", "example input [3, 4] -> [3, 2]", "pretrained"], good.GetProperty("checked").EnumerateArray().Select(c => c.GetString()));

        // The same as text: the entrypoints, then one line per finding.
        var text = await bad.CheckAsync("--pretrained", "--golden", bad.Golden);
        Assert.Equal(1, text.ExitCode);
        var lines = text.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("  ok    good ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimEnd() == "  FAIL  broken");
        foreach (var f in findings) Assert.Contains(f.Line, lines);
        Assert.Single(text.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_pretrained_no_weights_are_fetched()
    {
        var result = await bad.CheckAsync("--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.DoesNotContain(doc.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() is "weights" or "pretrained" or "golden");
        Assert.Empty(bad.Server.RequestsFor("/w/tiny.safetensors"));
        Assert.Empty(bad.Server.RequestsFor("/w/gone-12345678.safetensors"));
    }

    [Fact]
    public async Task Weights_loaded_from_the_cache_are_still_asked_for_and_checked_against_their_hash()
    {
        var hub = Path.Combine(Path.GetTempPath(), "hubhost-check-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            async Task<List<string>> CachedFindings()
            {
                var result = await CliRunner.RunAsync(["check", bad.Repo, "--hub-dir", hub, "--pretrained", "--json"], null, TimeSpan.FromMinutes(5));
                using var doc = JsonDocument.Parse(result.Stdout);
                return doc.RootElement.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("subject").GetString() == "cached").Select(f => f.GetProperty("line").GetString()!).ToList();
            }

            Assert.Empty(await CachedFindings()); // downloaded and checked
            var served = bad.Server.Serve(bad.CachedPath, File.ReadAllBytes(Directory.GetFiles(hub, Path.GetFileName(bad.CachedPath), SearchOption.AllDirectories).Single()));
            served.AlwaysStatus = HttpStatusCode.NotFound;
            var gone = Assert.Single(await CachedFindings());
            Assert.Contains("from the hub's cache", gone);
            Assert.Contains("HTTP 404", gone);

            served.AlwaysStatus = null;
            var cachedFile = Directory.GetFiles(hub, Path.GetFileName(bad.CachedPath), SearchOption.AllDirectories).Single();
            var bytes = File.ReadAllBytes(cachedFile);
            bytes[^1] ^= 0xFF; // damaged after it was downloaded and checked
            File.WriteAllBytes(cachedFile, bytes);
            // The check re-hashes cached weights in full: the damaged file is downloaded again, and the check passes on the good bytes.
            Assert.Empty(await CachedFindings());
            Assert.Equal(served.Content, File.ReadAllBytes(cachedFile));
        }
        finally
        {
            Directory.Delete(hub, recursive: true);
        }
    }
}
