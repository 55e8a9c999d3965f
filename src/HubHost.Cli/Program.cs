using HubHost.Cli;

StartupTrace.Configure(Environment.GetEnvironmentVariable("HUBHOST_TRACE_STARTUP"));
StartupTrace.Mark("runtime start to Main");
var exitCode = await CliApp.RunAsync(args, Console.Out, Console.Error);
LibTorchInProcess.EndProcess(exitCode); // returns unless libtorch was loaded: then the process ends here, without its teardown
return exitCode;
