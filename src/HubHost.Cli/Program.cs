using HubHost.Cli;

StartupTrace.Configure(Environment.GetEnvironmentVariable("HUBHOST_TRACE_STARTUP"));
StartupTrace.Mark("runtime start to Main");
return await CliApp.RunAsync(args, Console.Out, Console.Error);
