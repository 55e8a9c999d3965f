using System.Diagnostics;
using System.Globalization;
using System.Text;
using HubHost.Serve;

namespace HubHost.Bench.Serve;

/// <summary>
/// Issue 11's figures: `hubhost serve` over 50 generated local repos × 20 entrypoints (built once, kept under
/// <c>$TMPDIR/hubhost-bench-serve</c> so later runs reuse the builds): catalog load from cached builds, server time
/// (Server-Timing) and loopback request time for the index and an entrypoint page, first request and warm, and page weight.
/// </summary>
internal sealed class ServeBenchmark : IBenchmark
{
    public string Name => "serve";

    public string Description => "hubhost serve with 50 repos x 20 entrypoints: index and entrypoint page, first and warm, page weight";

    private const int RepoCount = 50;
    private const int EntryCount = 20;

    public async Task RunAsync(string[] args)
    {
        var root = Path.Combine(Path.GetTempPath(), "hubhost-bench-serve");
        var hubDir = Path.Combine(root, "hub");
        var repos = Enumerable.Range(0, RepoCount).Select(i => Generate(Path.Combine(root, "repos", $"team-repo-{i:00}"), i)).ToList();

        // 1. Build (once per content; a later run finds every build cached).
        var watch = Stopwatch.StartNew();
        await using (var builder = ServeHost.Create(new HubClient(new HubOptions { HubDirectory = hubDir }), Options(repos)))
        {
            await builder.StartAsync();
            await builder.Catalog.RefreshAsync(force: false);
            Check(builder.Catalog);
        }
        var buildSeconds = watch.Elapsed.TotalSeconds;

        // 2. A fresh server over the cached builds: what a restart costs, then the pages.
        watch.Restart();
        await using var host = ServeHost.Create(new HubClient(new HubOptions { HubDirectory = hubDir }), Options(repos));
        await host.StartAsync();
        await host.Catalog.RefreshAsync(force: false);
        var loadMs = watch.Elapsed.TotalMilliseconds;
        Check(host.Catalog);
        var baseUrl = host.Addresses.Single().TrimEnd('/');
        // As a browser asks: compressed (the bytes counted are those on the wire).
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.None });
        http.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip, deflate, br");
        using var plain = new HttpClient();
        var repo = host.Catalog.Repos[RepoCount / 2];
        var entryUrl = Urls.Entry(repo, repo.Ref(0).Label, "model_10");

        var indexFirst = await GetAsync(http, baseUrl + "/");
        var entryFirst = await GetAsync(http, baseUrl + entryUrl);
        var indexWarm = new List<Sample>();
        var entryWarm = new List<Sample>();
        for (var i = 0; i < 200; i++)
        {
            indexWarm.Add(await GetAsync(http, baseUrl + "/"));
            entryWarm.Add(await GetAsync(http, baseUrl + entryUrl));
        }
        // The index is cached until the catalog changes; its render from scratch, measured in-process:
        var renders = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var t = Stopwatch.StartNew();
            _ = new Pages(host.Catalog, "bench").Index();
            renders.Add(t.Elapsed.TotalMilliseconds);
        }
        var apiFirst = await GetAsync(http, baseUrl + "/api/repos");
        var js = await plain.GetByteArrayAsync(baseUrl + "/static/app.js");
        var css = await plain.GetByteArrayAsync(baseUrl + "/static/site.css");
        var indexRaw = (await plain.GetByteArrayAsync(baseUrl + "/")).Length;
        var entryRaw = (await plain.GetByteArrayAsync(baseUrl + entryUrl)).Length;
        var apiRaw = (await plain.GetByteArrayAsync(baseUrl + "/api/repos")).Length;

        var cards = host.Catalog.Repos.Sum(r => r.Ref(0).Entrypoints.Count);
        Console.WriteLine($"hubhost serve, {RepoCount} local repos x {EntryCount} entrypoints ({cards} cards):");
        Console.WriteLine($"  open all, building what is not cached:    {buildSeconds,9:0.0} s");
        Console.WriteLine($"  catalog load from cached builds (restart): {loadMs,9:0} ms");
        Console.WriteLine("                                    server (Server-Timing)   whole request over loopback");
        Row("index, first request", indexFirst);
        Row("index, warm (median of 200)", Median(indexWarm));
        Console.WriteLine($"  index render without its cache (median of 30, in-process): {Measure.Median(renders):0.00} ms");
        Row("entrypoint page, first request", entryFirst);
        Row("entrypoint page, warm (median of 200)", Median(entryWarm));
        Row("/api/repos, first request", apiFirst);
        Console.WriteLine("  page weight (HTML/JSON as sent with Accept-Encoding: gzip, deflate, br; uncompressed in parentheses):");
        Console.WriteLine($"    index            {Kb(indexFirst.Bytes)}  ({Kb(indexRaw)})");
        Console.WriteLine($"    entrypoint page  {Kb(entryFirst.Bytes)}  ({Kb(entryRaw)})");
        Console.WriteLine($"    /api/repos       {Kb(apiFirst.Bytes)}  ({Kb(apiRaw)})");
        Console.WriteLine($"    app.js + site.css {Kb(js.Length + css.Length)} (cached by the browser; no other requests: no fonts, no images here)");
    }

    private static ServeOptions Options(IReadOnlyList<string> repos) => new() { Repos = repos, Urls = ["http://127.0.0.1:0"], RefreshInterval = null };

    private static void Check(HubCatalog catalog)
    {
        var bad = catalog.Repos.SelectMany(r => r.Refs).Where(r => r.Status != RefStatus.Ready).ToList();
        if (bad.Count > 0) throw new InvalidOperationException($"{bad.Count} repos did not open: {bad[0].LoadText}: {bad[0].Error}");
    }

    private sealed record Sample(double ServerMs, double RequestMs, int Bytes, byte[] Body);

    private static async Task<Sample> GetAsync(HttpClient http, string url)
    {
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsByteArrayAsync();
        var requestMs = watch.Elapsed.TotalMilliseconds;
        response.EnsureSuccessStatusCode();
        var timing = response.Headers.GetValues("Server-Timing").Single();
        var server = double.Parse(timing[(timing.IndexOf("dur=", StringComparison.Ordinal) + 4)..], CultureInfo.InvariantCulture);
        return new Sample(server, requestMs, body.Length, body);
    }

    private static Sample Median(List<Sample> samples)
        => new(Measure.Median(samples.Select(s => s.ServerMs).ToList()), Measure.Median(samples.Select(s => s.RequestMs).ToList()), samples[0].Bytes, samples[0].Body);

    private static void Row(string what, Sample s) => Console.WriteLine($"  {what,-38} {s.ServerMs,8:0.00} ms {s.RequestMs,18:0.00} ms");

    private static string Kb(int bytes) => $"{bytes / 1024.0,7:0.0} KB";

    /// <summary>Writes a hub repo with <see cref="EntryCount"/> documented entrypoints (unchanged content keeps its build).</summary>
    private static string Generate(string folder, int index)
    {
        Directory.CreateDirectory(folder);
        var categories = new[] { "Vision", "Text", "Audio", "Tabular", "Generative" };
        var code = new StringBuilder($"namespace Team{index:00};\n\n/// <summary>Generated hub repo {index}.</summary>\npublic static class Hubconf\n{{\n");
        for (var e = 0; e < EntryCount; e++)
        {
            code.Append($"""
                    /// <summary>Model {e} of team repo {index}: a generated entrypoint with a two-line summary
                    /// that describes what it builds and which data it was trained on.</summary>
                    /// <param name="pretrained">Load the team's pretrained weights.</param>
                    /// <param name="numClasses">Number of output classes.</param>
                    /// <param name="dropout">Dropout probability before the classifier.</param>
                    /// <param name="name">A label for the model.</param>
                    /// <returns>A description of the model.</returns>
                    /// <remarks>Generated for the serve benchmark.</remarks>
                    /// <example><code>hubhost load ./team-repo-{index:00} model_{e:00} --arg pretrained=true</code></example>
                    public static string model_{e:00}(bool pretrained = false, int numClasses = {1000 + e}, double dropout = 0.{e % 9 + 1}, string name = "m{e}")
                        => $"{"{"}name{"}"}:{"{"}numClasses{"}"}:{"{"}pretrained{"}"}:{"{"}dropout{"}"}";

                """);
        }
        code.Append("}\n");
        Write(Path.Combine(folder, "Hubconf.cs"), code.ToString());
        Write(Path.Combine(folder, "hubconf.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """);
        Write(Path.Combine(folder, "README.md"), $"# team repo {index}\n\nGenerated for the `serve` benchmark.\n\n| model | classes |\n|---|---|\n" +
            string.Concat(Enumerable.Range(0, EntryCount).Select(e => $"| model_{e:00} | {1000 + e} |\n")));
        Write(Path.Combine(folder, "hubconf.catalog.json"), $"{{ \"category\": \"{categories[index % categories.Length]}\", \"tags\": [\"team-{index % 7}\", \"generated\"] }}");
        return folder;
    }

    /// <summary>Writes only when the content differs, so the folder's content hash (and its build) stays.</summary>
    private static void Write(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content) return;
        File.WriteAllText(path, content);
    }
}
