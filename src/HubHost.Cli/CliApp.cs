using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Cli.Commands;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace HubHost.Cli;

/// <summary>
/// The `hubhost` command line: results on stdout (text, or JSON with --json), logs through Serilog on
/// stderr, and every failure as one "error: ..." line with a non-zero exit code, never a stack trace.
/// </summary>
internal sealed class CliApp : IDisposable
{
    private readonly Lazy<HubClient> _hub;
    private readonly Lazy<ILoggerFactory> _loggerFactory;

    private CliApp(TextWriter stdout, TextWriter stderr)
    {
        Out = stdout;
        Error = stderr;
        _loggerFactory = new Lazy<ILoggerFactory>(CreateLoggerFactory);
        _hub = new Lazy<HubClient>(CreateHub);
    }

    /// <summary>--json: print results as JSON.</summary>
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print the result as JSON.", Recursive = true };

    /// <summary>--hub-dir: the hub directory for this run (torch.hub.set_dir), instead of HUBHOST_HOME and the defaults.</summary>
    public static readonly Option<string> HubDirOption = new("--hub-dir") { Description = "The hub directory (cache) to use; default $HUBHOST_HOME/hub, else $XDG_CACHE_HOME/hubhost/hub, else ~/.cache/hubhost/hub.", Recursive = true };

    /// <summary>--verbose: debug logs on stderr.</summary>
    public static readonly Option<bool> VerboseOption = new("--verbose", "-v") { Description = "Log details to stderr.", Recursive = true };

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Set from the parse result before a command's action runs.</summary>
    public bool Json { get; private set; }

    public bool Verbose { get; private set; }

    /// <summary>From --hub-dir; null for the default.</summary>
    public string? HubDirectory { get; private set; }

    /// <summary>The hub, created on first use with the CLI's logger.</summary>
    public HubClient Hub => _hub.Value;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && LibTorchInProcess.AlwaysNeededBy(args[0])) LibTorchInProcess.LoadInBackground();
        using var app = new CliApp(stdout, stderr);
        // A Command rather than RootCommand, so usage says `hubhost` (the tool command) instead of the assembly name.
        var root = new Command("hubhost", "hubhost: PyTorch Hub for .NET. List, inspect, load and compare entrypoints of C# hub repos.")
        {
            new HelpOption(), new VersionOption(),
        };
        root.Options.Add(JsonOption);
        root.Options.Add(VerboseOption);
        root.Options.Add(HubDirOption);
        foreach (var command in app.CommandsFor(args)) root.Subcommands.Add(command);
        var parse = root.Parse(args);
        StartupTrace.Mark("command line parsed");
        app.Json = parse.GetValue(JsonOption);
        app.Verbose = parse.GetValue(VerboseOption);
        app.HubDirectory = parse.GetValue(HubDirOption);
        if (parse.Errors.Count > 0) return app.UsageError(parse);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(5) };
        return await parse.InvokeAsync(config);
    }

    /// <summary>Every command by name, one line each: a command lives in its own file under Commands/.</summary>
    internal static readonly (string Name, Func<CliApp, Command> Create)[] CommandTable =
    [
        ("list", ListCommand.Create),
        ("help", HelpCommand.Create),
        ("load", LoadCommand.Create),
        ("compare", CompareCommand.Create),
        ("state-dict", StateDictCommand.Create),
        ("cache", CacheCommand.Create),
        ("trust", TrustCommand.Create),
        ("download", DownloadCommand.Create),
        ("run", RunCommand.Create),
        ("contracts", ContractsCommand.Create),
        ("pack", PackCommand.Create),
        ("check", CheckCommand.Create),
        ("lock", LockCommand.Create),
        ("import", ImportCommand.Create),
        ("serve", ServeCommand.Create),
    ];

    /// <summary>
    /// The commands a command line needs: only the one it starts with when it starts with a command's name (its parse,
    /// errors and help need no other; building all fifteen with their options cost ~10 ms of every run), else all of them
    /// (root help, a root option first, a typo that needs the closest name).
    /// </summary>
    private IEnumerable<Command> CommandsFor(string[] args)
    {
        var named = -1;
        for (var i = 0; i < CommandTable.Length && args.Length > 0; i++)
            if (CommandTable[i].Name == args[0]) named = i;
        for (var i = 0; i < CommandTable.Length; i++)
            if (named < 0 || i == named)
                yield return CommandTable[i].Create(this);
    }

    /// <summary>
    /// Wraps a command's work: cancellation on Ctrl+C, and every exception turned into one clear line on
    /// stderr with exit code 1 (HubException's message as is; anything else prefixed as unexpected).
    /// </summary>
    public async Task<int> RunAsync(Func<CancellationToken, Task<int>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work(cancellationToken);
        }
        catch (HubException e)
        {
            var code = Fail("hub", e.Message, 1);
            if (Verbose && e.InnerException is not null) Error.WriteLine(e.InnerException);
            return code;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail("cancelled", "cancelled.", 130);
        }
        catch (Exception e)
        {
            var code = Fail("unexpected", $"unexpected {e.GetType().Name}: {e.Message}", 1);
            if (Verbose) Error.WriteLine(e);
            else Error.WriteLine("Run again with --verbose for details, and please report it.");
            return code;
        }
    }

    /// <summary>
    /// Reports a failure: one <c>error:</c> line on stderr, and with --json also a JSON object on stdout,
    /// <c>{"error": {"message", "kind", "exitCode"}}</c> (kind: usage, hub, cancelled or unexpected).
    /// </summary>
    private int Fail(string kind, string message, int exitCode)
    {
        Error.WriteLine($"error: {message}");
        if (Json) Out.WriteLine(JsonSerializer.Serialize(new { error = new { message, kind, exitCode } }, JsonOutput.Options));
        return exitCode;
    }

    /// <summary>
    /// A command line that does not parse (a typo'd command, a missing argument, an unknown option): one error
    /// line with the closest command or option when there is one and where to find the usage; exit code 2.
    /// </summary>
    private int UsageError(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command.Name);
        var path = string.Join(' ', names);
        var unmatched = parse.UnmatchedTokens.FirstOrDefault();
        string problem;
        string? suggestion = null;
        var missing = command.Arguments.Where(a => parse.GetResult(a) is not ArgumentResult { Tokens.Count: > 0 }).ToList();
        if (unmatched is null && missing.Count > 0 && parse.Errors.Any(e => e.Message.StartsWith("Required argument missing", StringComparison.Ordinal)))
        {
            problem = $"`{path}` needs {string.Join(" and ", missing.Select(a => a.Name))} ({string.Join("; ", missing.Select(a => a.Description?.TrimEnd('.')))})";
        }
        else if (unmatched is null)
        {
            problem = parse.Errors[0].Message.Trim().TrimEnd('.');
        }
        else
        {
            var isOption = unmatched.StartsWith('-');
            var candidates = isOption
                ? command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(Recursive())
                : command.Subcommands.Select(c => c.Name);
            suggestion = candidates.Select(c => (Name: c, Distance: EditDistance(unmatched, c)))
                .Where(c => c.Distance <= Math.Max(2, c.Name.Length / 3)).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
            problem = isOption ? $"{path} has no option {unmatched}"
                : command.Subcommands.Count > 0 ? $"{unmatched} is not a {path} command"
                : $"{path} got an extra argument {unmatched}";
        }
        var message = problem + (suggestion is null ? "" : $"; did you mean {suggestion}?") + $" See `{path} --help`.";
        if (suggestion is null) message = problem + $". See `{path} --help`.";
        return Fail("usage", message, 2);

        static IEnumerable<string> Recursive() => [JsonOption.Name, HubDirOption.Name, VerboseOption.Name, "--help"];
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            previous = current;
        }
        return previous[b.Length];
    }

    /// <summary>
    /// The --json settings, in a class of their own: a static field of CliApp would be made with CliApp's static options, on
    /// every run, loading System.Text.Json and its encoder before the command line is parsed (~8 ms of a `hubhost load`).
    /// </summary>
    private static class JsonOutput
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter() },
        };
    }

    /// <summary>Prints a result: <paramref name="json"/> serialised with --json, otherwise <paramref name="text"/>.</summary>
    public void Print(object json, Func<string> text)
        => Out.WriteLine(Json ? JsonSerializer.Serialize(json, JsonOutput.Options) : text());

    /// <summary>The hub of this run; a hub directory that cannot be one (a file, or under a file) is an error for every command.</summary>
    private HubClient CreateHub()
    {
        if (HubDirectory is not null && string.IsNullOrWhiteSpace(HubDirectory))
            throw new HubException("--hub-dir is empty: give the folder the hub keeps its cache in.");
        // Every setting from the environment, read once here (README: "Settings"); --hub-dir wins over HUBHOST_HOME.
        var options = HubOptions.FromEnvironment();
        if (HubDirectory is not null) options.HubDirectory = HubDirectory;
        var hub = new HubClient(options, _loggerFactory.Value, Console.IsInputRedirected || Console.IsErrorRedirected ? null : new TerminalTrustPrompt(Error));
        hub.EnsureHubDirectory(writable: false);
        StartupTrace.Mark("hub client");
        return hub;
    }

    /// <summary>A hub over the same directory and logger that never asks whether to trust a repo (for `hubhost serve`: an untrusted repo is shown, never built).</summary>
    public HubClient NonPromptingHub()
    {
        var hub = new HubClient(Hub.Options, _loggerFactory.Value, trustPrompt: null, Hub.TimeProvider);
        hub.EnsureHubDirectory();
        return hub;
    }

    /// <summary>The logger factory of this run (Serilog on stderr).</summary>
    public ILoggerFactory Loggers => _loggerFactory.Value;

    /// <summary>The hub, for a command that writes to its directory: checked to be a writable folder first.</summary>
    public HubClient WritableHub
    {
        get
        {
            Hub.EnsureHubDirectory();
            return Hub;
        }
    }

    /// <summary>Serilog on stderr, started on the first event written (<see cref="DeferredLoggerFactory"/>).</summary>
    private ILoggerFactory CreateLoggerFactory()
        => new DeferredLoggerFactory(Verbose ? LogLevel.Debug : LogLevel.Information, () =>
        {
            var logger = new LoggerConfiguration()
                .MinimumLevel.Is(Verbose ? LogEventLevel.Debug : LogEventLevel.Information)
                .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: "[{Level:u3}] {Message:lj}{NewLine}")
                .CreateLogger();
            // Serilog's own factory: LoggerFactory.Create would build a dependency-injection container around it first.
            var factory = new Serilog.Extensions.Logging.SerilogLoggerFactory(logger, dispose: true);
            StartupTrace.Mark("logger set-up");
            return factory;
        });

    public void Dispose()
    {
        if (_loggerFactory.IsValueCreated) _loggerFactory.Value.Dispose();
    }
}

/// <summary>Asks on the terminal (the question on stderr, the answer from stdin): y or yes trusts the repo.</summary>
internal sealed class TerminalTrustPrompt(TextWriter error) : HubHost.Trust.ITrustPrompt
{
    public bool Confirm(string question)
    {
        error.Write($"{question} [y/N] ");
        LibTorchInProcess.TerminalWasRead();
        var answer = Console.ReadLine();
        return answer is not null && answer.Trim().ToLowerInvariant() is "y" or "yes";
    }
}
