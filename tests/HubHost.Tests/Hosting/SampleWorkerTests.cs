using System.Diagnostics;
using System.Text.Json;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Hosting;

/// <summary>
/// samples/worker end to end, as the README runs it (`dotnet run --project samples/worker` from the repo root), built
/// once with the tests (HubHost.Tests.csproj references it without its assembly) and run without building again.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class SampleWorkerTests(SharedHub hub)
{
    [Fact]
    public async Task A_malformed_setting_stops_the_sample_worker_with_one_error_line()
    {
        var info = SampleStart("--Digits:PollInterval=banana");
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            await process.WaitForExitAsync(cts.Token);
        var errors = (await stderr).Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(process.ExitCode == 1, $"exit code {process.ExitCode}\n{await stdout}\n{await stderr}");
        Assert.True(errors.Count == 1, await stderr);
        Assert.Contains("Digits:PollInterval", errors[0]);
        Assert.DoesNotContain("Unhandled exception", await stderr + await stdout);
    }

    /// <summary>`dotnet run --project samples/worker --no-build -- ARGS` from the repo root, over the shared hub.</summary>
    private ProcessStartInfo SampleStart(params string[] args)
    {
        // The configuration these tests were built in (bin/<Configuration>/net10.0/) is the sample's too.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "run", "--project", "samples/worker", "-c", configuration, "--no-build", "--" }.Concat(args))
            info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory);
        return info;
    }

    [Fact]
    public async Task The_sample_worker_classifies_the_sample_digits_with_the_hosted_model_and_stops_after_its_iterations()
    {
        // The sample's appsettings.json names no hub directory: HUBHOST_HOME applies (the shared hub, where vision is built once).
        var info = SampleStart("--iterations", "1");
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("The sample worker did not stop by itself after --iterations 1:\n" + await stdout + await stderr);
            }
        }
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{output}\n{await stderr}");

        // PyTorch's predictions for these rows (tests/fixtures/pytorch/digits_mlp.json), as the CLI's run gives them.
        using var reference = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("pytorch", "digits_mlp.json")));
        var expected = reference.RootElement.GetProperty("expected_logits").EnumerateArray().Take(12)
            .Select(r => r.EnumerateArray().Select((v, i) => (v.GetDouble(), i)).Max().i).ToArray();
        Assert.Contains($"Hub entrypoint digits: digits_mlp of {RepoPaths.Sample("vision")} (", output);
        Assert.Matches($@"Run 1: digits [0-9a-f]{{12}} predicts {string.Join(" ", expected)}\n", output.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Run 2:", output);
        Assert.Contains("Application is shutting down", output);
    }
}
