using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HubHost.Bench.Downloads;

/// <summary>
/// download: a 256 MB file of random bytes served by Kestrel on 127.0.0.1 (Content-Length, Range), fetched
/// with a hash check by HubHost's DownloadUrlToFileAsync and by torch.hub.download_url_to_file, with curl to
/// /dev/null as the cost of the transfer alone. Median of 3 (or args[1]) interleaved rounds, after a warm-up. args[0]: size in MB.
/// </summary>
internal sealed class DownloadBenchmark : IBenchmark
{
    public string Name => "download";

    public string Description => "download_url_to_file of 256 MB over loopback with a hash check, vs torch.hub and curl";

    public async Task RunAsync(string[] args)
    {
        var megabytes = args.Length > 0 && int.TryParse(args[0], out var mb) ? mb : 256;
        var runs = args.Length > 1 && int.TryParse(args[1], out var r) ? r : 3;
        var size = (long)megabytes << 20;
        var work = Directory.CreateTempSubdirectory("hubhost-bench-download-").FullName;
        try
        {
            var source = Path.Combine(work, "source.bin");
            var digest = await WriteRandomFileAsync(source, size);
            var prefix = digest[..10];

            await using var server = await StartServerAsync(source);
            var url = server.Url;
            Console.WriteLine($"download: {megabytes} MB of random bytes from {url}, hash prefix {prefix}; median of {runs} interleaved rounds");

            var client = new HubClient(new HubOptions { HubDirectory = Path.Combine(work, "hub") });
            var destination = Path.Combine(work, "hubhost.bin");
            Func<Task> curl = () => RunProcessAsync("curl", "-sS", "-o", "/dev/null", url);
            Func<Task> hubhost = async () =>
            {
                await client.DownloadUrlToFileAsync(url, destination, prefix);
                File.Delete(destination);
            };
            await curl();
            await hubhost(); // warm-up (JIT, connection pool)

            // Interleaved rounds, so the three face the same load on a shared machine.
            List<double> curlTimes = [], hubhostTimes = [], torchTimes = [];
            for (var round = 0; round < runs; round++)
            {
                curlTimes.Add(await TimeAsync(curl));
                hubhostTimes.Add(await TimeAsync(hubhost));
                torchTimes.AddRange(await RunTorchAsync(url, Path.Combine(work, "torch.bin"), prefix, 1));
            }

            Console.WriteLine();
            Console.WriteLine($"{"",-40} {"median s",8} {"MB/s",8}  runs (s)");
            Row("curl -o /dev/null (transfer alone)", curlTimes, megabytes);
            Row("HubHost DownloadUrlToFileAsync + hash", hubhostTimes, megabytes);
            Row("torch.hub.download_url_to_file + hash", torchTimes, megabytes);
            double c = Median(curlTimes), h = Median(hubhostTimes), t = Median(torchTimes);
            Console.WriteLine();
            Console.WriteLine($"HubHost has {t / h:0.00}x torch's throughput; HubHost takes {h / c:0.00}x curl's time, torch {t / c:0.00}x.");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Row(string what, List<double> seconds, int megabytes)
        => Console.WriteLine($"{what,-40} {Median(seconds),8:0.000} {megabytes / Median(seconds),8:0}  {string.Join(" ", seconds.Select(x => x.ToString("0.000")))}");

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static async Task<double[]> RunTorchAsync(string url, string destination, string prefix, int runs)
    {
        var script = FindScript("download.py");
        var output = await RunProcessAsync("/usr/bin/python3", script, url, destination, prefix, runs.ToString());
        return JsonSerializer.Deserialize<double[]>(output)!;
    }

    private static string FindScript(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "python", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"bench/python/{name} not found above {AppContext.BaseDirectory}");
    }

    private static async Task<string> RunProcessAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static async Task<string> WriteRandomFileAsync(string path, long size)
    {
        var buffer = new byte[1 << 20];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
        {
            for (long written = 0; written < size; written += buffer.Length)
            {
                RandomNumberGenerator.Fill(buffer);
                hash.AppendData(buffer);
                await stream.WriteAsync(buffer);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private sealed class FileServer(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<FileServer> StartServerAsync(string path)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/source.bin", () => Results.File(path, "application/octet-stream", enableRangeProcessing: true));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FileServer(app, $"{address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)}/source.bin");
    }
}
