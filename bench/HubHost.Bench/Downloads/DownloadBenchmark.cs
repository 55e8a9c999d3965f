using System.Diagnostics;
using System.Security.Cryptography;

namespace HubHost.Bench.Downloads;

/// <summary>
/// download: a 256 MB file of random bytes served on 127.0.0.1 by <see cref="LoopbackFileServer"/>
/// (Content-Length, Range, sendfile), fetched with a hash check by HubHost's DownloadUrlToFileAsync and by
/// torch.hub.download_url_to_file (bench/python/download.py, /usr/bin/python3), with curl to /dev/null as the
/// cost of the transfer alone and SHA-256 of as many bytes in memory as the floor: a download with a hash check
/// cannot take less than hashing its bytes on one core. Median of 5 interleaved rounds after a warm-up, and
/// torch's time over HubHost's in each round; args: [MB] [rounds].
/// </summary>
internal sealed class DownloadBenchmark : IBenchmark
{
    public string Name => "download";

    public string Description => "download_url_to_file of 256 MB over loopback with a hash check, vs torch.hub and curl";

    public async Task RunAsync(string[] args)
    {
        var megabytes = args.Length > 0 && int.TryParse(args[0], out var mb) ? mb : 256;
        var runs = args.Length > 1 && int.TryParse(args[1], out var r) ? r : 5;
        var size = (long)megabytes << 20;
        var work = Directory.CreateTempSubdirectory("hubhost-bench-download-").FullName;
        try
        {
            var source = Path.Combine(work, "source.bin");
            var digest = await WriteRandomFileAsync(source, size);
            var prefix = digest[..10];

            using var server = new LoopbackFileServer(source, "/source.bin");
            var url = server.Url;
            Console.WriteLine($"download: {megabytes} MB of random bytes from {url}, hash prefix {prefix}; median of {runs} interleaved rounds; load average {LoadAverage()} on {Environment.ProcessorCount} cores");

            var client = new HubClient(new HubOptions { HubDirectory = Path.Combine(work, "hub") });
            var destination = Path.Combine(work, "hubhost.bin");
            Func<Task> curl = () => RunProcessAsync("curl", "-sS", "-o", "/dev/null", url); // includes curl's start, ~5 ms
            // As in download.py, removing the downloaded file is not timed.
            Func<Task> hubhost = () => client.DownloadUrlToFileAsync(url, destination, prefix);
            await using var torch = await TorchPeer.StartAsync(url, Path.Combine(work, "torch.bin"), prefix);
            await curl();
            await hubhost(); // warm-up (JIT, connection pool)
            File.Delete(destination);
            await torch.RunAsync();

            // Interleaved rounds, so the three face the same load on a shared machine. Before each timed run a
            // scratch file of the same size is written and deleted (not timed): on this VM the first write of
            // fresh pages after another process freed memory costs ~10x (dd: 0.6 s vs 0.07 s for 200 MB), and
            // without this whoever runs after a process exit pays it.
            // CPU seconds are less sensitive to the machine's load than elapsed time: this process's CPU during
            // curl's run is the server's cost, subtracted from this process's CPU during HubHost's run;
            // torch's is its process's CPU time.
            var scratch = Path.Combine(work, "scratch.bin");
            List<Sample> curlRuns = [], hubhostRuns = [], torchRuns = [], hashRuns = [];
            for (var round = 0; round < runs; round++)
            {
                await Settle(scratch, size);
                curlRuns.Add(await MeasureAsync(curl));
                await Settle(scratch, size);
                hubhostRuns.Add(await MeasureAsync(hubhost));
                File.Delete(destination);
                await Settle(scratch, size);
                torchRuns.Add(await torch.RunAsync());
                hashRuns.Add(await MeasureAsync(() => HashInMemory(size)));
            }
            var serverCpu = Median(curlRuns.Select(x => x.Cpu));

            Console.WriteLine();
            Console.WriteLine($"{"",-40} {"median s",8} {"MB/s",8} {"client CPU s",12}  runs (s)");
            Row("curl -o /dev/null (transfer alone)", curlRuns, megabytes, cpu: null);
            Row("HubHost DownloadUrlToFileAsync + hash", hubhostRuns, megabytes, Median(hubhostRuns.Select(x => x.Cpu)) - serverCpu);
            Row("torch.hub.download_url_to_file + hash", torchRuns, megabytes, Median(torchRuns.Select(x => x.Cpu)));
            Row("SHA-256 in memory, one core (floor)", hashRuns, megabytes, Median(hashRuns.Select(x => x.Cpu)));
            Console.WriteLine($"(the server's CPU per transfer: {serverCpu:0.000} s; load average now {LoadAverage()} on {Environment.ProcessorCount} cores)");
            double c = Median(curlRuns.Select(x => x.Seconds)), h = Median(hubhostRuns.Select(x => x.Seconds)), t = Median(torchRuns.Select(x => x.Seconds));
            var floor = Median(hashRuns.Select(x => x.Seconds));
            var hc = Median(hubhostRuns.Select(x => x.Cpu)) - serverCpu;
            var tc = Median(torchRuns.Select(x => x.Cpu));
            var ratios = torchRuns.Zip(hubhostRuns, (torchRun, hubhostRun) => torchRun.Seconds / hubhostRun.Seconds).ToList();
            var ceilings = torchRuns.Zip(hashRuns, (torchRun, hashRun) => torchRun.Seconds / hashRun.Seconds).ToList();
            Console.WriteLine();
            Console.WriteLine($"torch's time / HubHost's, per round: {string.Join(" ", ratios.Select(x => x.ToString("0.00")))} (median {Median(ratios):0.00}x, min {ratios.Min():0.00}x, max {ratios.Max():0.00}x)");
            Console.WriteLine($"torch's time / SHA-256 alone, per round: {string.Join(" ", ceilings.Select(x => x.ToString("0.00")))} (median {Median(ceilings):0.00}x: no download with a hash check can beat that here)");
            Console.WriteLine($"HubHost has {t / h:0.00}x torch's throughput and uses {hc / tc:0.00}x its CPU; HubHost takes {h / c:0.00}x curl's time, torch {t / c:0.00}x; HubHost takes {h / floor:0.00}x the time of SHA-256 alone.");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>One timed run: elapsed seconds, and CPU seconds (this process's, or the peer's).</summary>
    private readonly record struct Sample(double Seconds, double Cpu);

    private static void Row(string what, List<Sample> runs, int megabytes, double? cpu)
    {
        var median = Median(runs.Select(x => x.Seconds));
        Console.WriteLine($"{what,-40} {median,8:0.000} {megabytes / median,8:0} {(cpu is { } c ? c.ToString("0.000") : "-"),12}  {string.Join(" ", runs.Select(x => x.Seconds.ToString("0.000")))}");
    }

    private static async Task<Sample> MeasureAsync(Func<Task> action)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await action();
        var elapsed = clock.Elapsed.TotalSeconds;
        return new Sample(elapsed, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string LoadAverage() => Measure.LoadAverage();

    /// <summary>SHA-256 of <paramref name="size"/> bytes already in memory (a 1 MB buffer over and over), on this thread.</summary>
    private static Task HashInMemory(long size)
    {
        var buffer = new byte[1 << 20];
        RandomNumberGenerator.Fill(buffer);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long hashed = 0; hashed < size; hashed += buffer.Length) hash.AppendData(buffer);
        hash.GetHashAndReset();
        return Task.CompletedTask;
    }

    private static async Task Settle(string scratch, long size)
    {
        var buffer = new byte[1 << 20];
        await using (var stream = new FileStream(scratch, FileMode.Create, FileAccess.Write, FileShare.None, 0))
        {
            for (long written = 0; written < size; written += buffer.Length) await stream.WriteAsync(buffer);
        }
        File.Delete(scratch);
    }

    /// <summary>bench/python/download.py kept running: one timed torch download per "run" line.</summary>
    private sealed class TorchPeer(Process process) : IAsyncDisposable
    {
        public static async Task<TorchPeer> StartAsync(string url, string destination, string prefix)
        {
            var start = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false,
            };
            foreach (var arg in new[] { FindScript("download.py"), url, destination, prefix }) start.ArgumentList.Add(arg);
            var peer = new TorchPeer(Process.Start(start)!);
            var ready = await peer._process.StandardOutput.ReadLineAsync();
            if (ready != "ready") throw new InvalidOperationException($"download.py did not start: {ready}");
            return peer;
        }

        private readonly Process _process = process;

        public async Task<Sample> RunAsync()
        {
            await _process.StandardInput.WriteLineAsync("run");
            await _process.StandardInput.FlushAsync();
            var line = await _process.StandardOutput.ReadLineAsync();
            var parts = line?.Split(' ') ?? [];
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            return parts.Length == 2 && double.TryParse(parts[0], culture, out var seconds) && double.TryParse(parts[1], culture, out var cpu)
                ? new Sample(seconds, cpu)
                : throw new InvalidOperationException($"download.py failed: {line}");
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
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
}
