using HubHost.Cli;

StartupTrace.Enabled = Environment.GetEnvironmentVariable("HUBHOST_TRACE_STARTUP") is "1" or "true";
StartupTrace.Mark("runtime start to Main");
return await CliApp.RunAsync(args, Console.Out, Console.Error);
