using HubHost;
using HubHost.Samples.Worker;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

// A worker service that classifies handwritten digits with a model from a hub repo, every couple of seconds, while
// the hub reloads the repo when it changes (edit plugins-sample/vision and watch the version in the log change).
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--iterations"] = "Worker:Iterations" });

builder.Services.AddHubHost(builder.Configuration.GetSection("HubHost"));    // one HubClient, logging to the host's loggers
builder.Services.AddHubEntrypoint<nn.Module<Tensor, Tensor>>("digits", builder.Configuration.GetSection("Digits"));
builder.Services.Configure<DigitsWorkerOptions>(builder.Configuration.GetSection("Worker"));
builder.Services.AddHostedService<DigitsWorker>();

try
{
    await builder.Build().RunAsync();   // loads "digits" before the worker starts, releases it after the worker stops
    return Environment.ExitCode;
}
catch (Exception e) when (e is HubException or OptionsValidationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
