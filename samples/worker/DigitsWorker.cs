using HubHost.Checkpoints;
using HubHost.Hosting;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace HubHost.Samples.Worker;

/// <summary>The "Worker" section: what to classify, how often, how many times.</summary>
internal sealed class DigitsWorkerOptions
{
    /// <summary>An .npy of 8x8 digit images as rows [N, 64] of pixels / 16, relative to the content root.</summary>
    public string Input { get; set; } = "../../plugins-sample/vision/samples/digits.npy";

    /// <summary>Time between runs.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Stop the app after this many runs (<c>--iterations N</c>); 0 runs until Ctrl+C.</summary>
    public int Iterations { get; set; }
}

/// <summary>Runs the hosted "digits" model on the input every <see cref="DigitsWorkerOptions.Interval"/> and logs its predictions.</summary>
internal sealed class DigitsWorker(
    [FromKeyedServices("digits")] HubEntrypoint<nn.Module<Tensor, Tensor>> digits,
    IOptions<DigitsWorkerOptions> options,
    IHostEnvironment environment,
    IHostApplicationLifetime lifetime,
    ILogger<DigitsWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        try
        {
            using var input = Npy.Load(Path.GetFullPath(Path.Combine(environment.ContentRootPath, settings.Input)));
            using var timer = new PeriodicTimer(settings.Interval);
            for (var run = 1; ; run++)
            {
                // A lease pins the version serving now: a reload meanwhile swaps in the new one and frees this one after.
                using (var lease = digits.Handle.Acquire())
                {
                    var predicted = Predict(lease.Value, input);
                    logger.LogInformation("Run {Run}: digits {Version} predicts {Digits}", run, lease.Version, string.Join(" ", predicted));
                }
                if (settings.Iterations > 0 && run >= settings.Iterations) break;
                await timer.WaitForNextTickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return; // Ctrl+C
        }
        catch (Exception e)
        {
            logger.LogError(e, "The digits worker failed");
            Environment.ExitCode = 1;
        }
        lifetime.StopApplication();
    }

    /// <summary>The likeliest digit of each row.</summary>
    private static long[] Predict(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        return model.forward(input).argmax(1).data<long>().ToArray();
    }
}
