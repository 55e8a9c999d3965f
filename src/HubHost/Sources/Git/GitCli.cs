using System.Text;
using HubHost.Processes;
using Microsoft.Extensions.Logging;

namespace HubHost.Sources.Git;

/// <summary>
/// Runs the git command-line client: never prompts (GIT_TERMINAL_PROMPT=0, no askpass, ssh in batch mode),
/// bounds every network command in time, honours <see cref="HubOptions.Offline"/>, and passes a token (<see cref="HubOptions.GitHubToken"/>)
/// only through the child's environment as an HTTP header, so it is on no command line, in no git config
/// file, and is scrubbed from every message quoted from git. The token goes only to https://github.com and to
/// the host of <see cref="HubOptions.GitBaseUrl"/> (the host the user pointed owner/name at), never to any other URL.
/// </summary>
internal sealed class GitCli
{
    private readonly ILogger _logger;
    private readonly HubOptions _options;
    private readonly string? _token;
    private readonly string? _header;
    private readonly TimeProvider _time;

    /// <param name="options">A client's checked options: offline, token, base URL and timeouts.</param>
    /// <param name="logger">Where the commands run are logged (never the token).</param>
    /// <param name="time">The clock of the commands' time limits (the client's TimeProvider).</param>
    public GitCli(HubOptions options, ILogger logger, TimeProvider time)
    {
        _time = time;
        _logger = logger;
        _options = options;
        _token = string.IsNullOrEmpty(options.GitHubToken) ? null : options.GitHubToken;
        _header = _token is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + _token));
    }

    /// <summary>How long one network command (ls-remote, fetch) may run.</summary>
    public TimeSpan NetworkTimeout => _options.GitNetworkTimeout;

    /// <summary>Whether the token will be sent to <paramref name="url"/>.</summary>
    public bool SendsTokenTo(string url) => _token is not null && IsTokenHost(url, _options.GitBaseUrl);

    /// <summary>https://github.com, or the scheme, host and port of <paramref name="baseUrl"/> when it is http(s).</summary>
    internal static bool IsTokenHost(string url, string baseUrl)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")) return false;
        if (uri.Scheme == "https" && uri.IsDefaultPort && uri.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase)) return true;
        return Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseUri)
               && baseUri.Scheme == uri.Scheme && baseUri.Port == uri.Port && baseUri.Host.Equals(uri.Host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Runs a command that talks to <paramref name="url"/>; fails with a HubException on timeout or when offline.</summary>
    public async Task<ProcessResult> NetworkAsync(string? gitDir, string url, IEnumerable<string> arguments, string what, CancellationToken cancellationToken)
    {
        if (_options.Offline)
            throw new HubException($"The hub will not {what}: {OfflineNote}. Turn offline mode off to let it reach {url}.");
        var timeout = NetworkTimeout;
        try
        {
            return await RunAsync(gitDir, arguments, timeout, withToken: SendsTokenTo(url), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new HubException($"Could not {what}: {url} did not answer within {timeout.TotalSeconds:0} s. Check the URL and your network, " +
                                   "or set HUBHOST_OFFLINE=1 to use only what is cached.", e);
        }
    }

    /// <summary>Runs a local command (no network); a timeout is an error.</summary>
    public async Task<ProcessResult> LocalAsync(string? gitDir, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(gitDir, arguments, _options.GitLocalTimeout, withToken: false, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new HubException($"git {arguments.FirstOrDefault()} did not finish within {_options.GitLocalTimeout.TotalMinutes:0} minutes in {gitDir}.", e);
        }
    }

    private async Task<ProcessResult> RunAsync(string? gitDir, IEnumerable<string> arguments, TimeSpan timeout, bool withToken, CancellationToken cancellationToken)
    {
        var args = new List<string>();
        if (gitDir is not null) args.Add("--git-dir=" + gitDir);
        // Local file:// remotes are how tests (and offline mirrors) serve repos; git 2.38+ blocks them in some paths by default.
        args.AddRange(["-c", "protocol.file.allow=always", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.askPass="]);
        args.AddRange(arguments);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_ASKPASS"] = "",
            ["SSH_ASKPASS"] = "",
            ["LC_ALL"] = "C",
            ["LANGUAGE"] = "C",
            ["GIT_SSH_COMMAND"] = Environment.GetEnvironmentVariable("GIT_SSH_COMMAND") ?? "ssh -o BatchMode=yes",
            ["GIT_CONFIG_COUNT"] = null,
        };
        if (withToken && _header is not null)
        {
            // Through the environment (GIT_CONFIG_*), not -c: the header must not be visible in the process list.
            environment["GIT_CONFIG_COUNT"] = "2";
            environment["GIT_CONFIG_KEY_0"] = "http.extraHeader";
            environment["GIT_CONFIG_VALUE_0"] = "Authorization: Basic " + _header;
            environment["GIT_CONFIG_KEY_1"] = "credential.helper";
            environment["GIT_CONFIG_VALUE_1"] = "";
        }
        _logger.LogDebug("git {Arguments}", string.Join(' ', arguments));
        var result = await ChildProcess.RunAsync("git", args, gitDir is null ? null : Path.GetDirectoryName(gitDir), environment, timeout, cancellationToken, _time).ConfigureAwait(false);
        return result with { StandardError = Scrub(result.StandardError), StandardOutput = Scrub(result.StandardOutput) };
    }

    /// <summary>How messages say that the hub is offline (HubOptions.Offline, or HUBHOST_OFFLINE from the environment).</summary>
    public const string OfflineNote = "the hub is offline (HUBHOST_OFFLINE is set, or HubOptions.Offline)";

    /// <summary>Removes the token (and its header form) from text quoted from git.</summary>
    public string Scrub(string text)
    {
        if (_token is not null) text = text.Replace(_token, "***", StringComparison.Ordinal);
        if (_header is not null) text = text.Replace(_header, "***", StringComparison.Ordinal);
        return text;
    }

    /// <summary>
    /// git's own explanation: its fatal/error lines, else the last lines of stderr, joined with "; " and without a
    /// final period, so a message quoting it ends the sentence itself (never "repository.. Check").
    /// </summary>
    public static string Explain(ProcessResult result)
    {
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var important = lines.Where(l => l.StartsWith("fatal:", StringComparison.Ordinal) || l.StartsWith("error:", StringComparison.Ordinal)
                                         || l.StartsWith("remote:", StringComparison.Ordinal)).ToList();
        var chosen = important.Count > 0 ? important : lines.TakeLast(3).ToList();
        var text = string.Join("; ", chosen.Take(4).Select(l => l.TrimEnd('.', ' ')).Where(l => l.Length > 0));
        return text.Length == 0 ? $"git exited with code {result.ExitCode}" : text;
    }
}
