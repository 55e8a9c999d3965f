using System.Globalization;
using HubHost.Downloads;

namespace HubHost;

/// <summary>
/// Every setting of a <see cref="HubClient"/>, in one place. A client copies them when it is created, so two
/// clients in one process can differ and changing an options object later changes no client. Nothing in the hub
/// reads an environment variable: <see cref="FromEnvironment()"/> does, once, for the command line and the static
/// <see cref="Hub"/>. The properties are plain values, so they bind from configuration
/// (<c>services.Configure&lt;HubOptions&gt;(configuration.GetSection("HubHost"))</c>).
/// </summary>
public sealed class HubOptions
{
    /// <summary>https://github.com/, where <c>owner/name</c> points unless <see cref="GitBaseUrl"/> says otherwise.</summary>
    public const string GitHubBaseUrl = GitUrls.DefaultBaseUrl;

    /// <summary>
    /// The hub directory (torch.hub's hub_dir); a leading <c>~/</c> is the home folder. Null: <c>$XDG_CACHE_HOME/hubhost/hub</c>, else
    /// <c>~/.cache/hubhost/hub</c>. Environment variable: <c>HUBHOST_HOME</c> (the hub directory is its <c>hub</c> folder).
    /// </summary>
    public string? HubDirectory { get; set; }

    /// <summary>
    /// Owners whose every repo is trusted without asking, as if each were in the trusted list: <c>owner/*</c> (an owner
    /// on <see cref="GitBaseUrl"/>) or a URL ending in <c>/*</c> (<c>https://git.example.com/team/*</c>). torch.hub
    /// trusts the owners pytorch and facebookresearch this way; HubHost trusts no owner unless told. Matching is
    /// host-aware like the trusted list (github.com ignores case in the owner, other hosts do not). Environment
    /// variable: <c>HUBHOST_TRUSTED_OWNERS</c> (comma-separated). <c>hubhost trust add owner/*</c> writes one to the list.
    /// </summary>
    public IList<string> TrustedOwners { get; set; } = new List<string>();

    /// <summary>
    /// The nuget.config whose feeds (and credentials) <c>nuget:</c> repos are resolved against. Null: NuGet's usual
    /// files — nuget.config in the current folder and above, the user's, the machine's.
    /// </summary>
    public string? NuGetConfigFile { get; set; }

    /// <summary>
    /// How long a NuGet feed may take to answer one request of a <c>nuget:</c> load (a service index, a version list, a
    /// package; a download may run longer as long as bytes keep coming). A feed that accepts the connection and never
    /// answers then fails with this in the message instead of hanging. Environment variable: <c>HUBHOST_NUGET_TIMEOUT</c> (seconds).
    /// </summary>
    public TimeSpan NuGetTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Never use the network for git or NuGet: repos resolve only from what is cached (torch.hub has no such mode).
    /// Downloads of weights are not affected. Environment variable: <c>HUBHOST_OFFLINE=1</c>.
    /// </summary>
    public bool Offline { get; set; }

    /// <summary>
    /// Never run <c>dotnet build</c>: a fleet server without the SDK that loads only prebuilt packages
    /// (<c>nuget:</c>) and builds already in the cache. Environment variable: <c>HUBHOST_NO_BUILD=1</c>.
    /// </summary>
    public bool DisableBuilds { get; set; }

    /// <summary>How long one <c>dotnet build</c> of a repo (restore included) may take. Environment variable: <c>HUBHOST_BUILD_TIMEOUT</c> (seconds).</summary>
    public TimeSpan BuildTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The base URL <c>owner/name</c> is resolved against (<c>{base}owner/name.git</c>): a GitHub Enterprise host,
    /// an internal mirror, a <c>file://</c> folder. Must not carry credentials (refused: use
    /// <see cref="GitHubToken"/> or a git credential helper). Environment variable: <c>HUBHOST_GIT_BASE_URL</c>.
    /// </summary>
    public string GitBaseUrl { get; set; } = GitHubBaseUrl;

    /// <summary>
    /// A token for private repos, sent as an HTTP header through git's environment, only to https://github.com
    /// and the host of <see cref="GitBaseUrl"/>; never on a command line, in a log, an error or the cache.
    /// Environment variable: <c>GITHUB_TOKEN</c>.
    /// </summary>
    public string? GitHubToken { get; set; }

    /// <summary>How long one git network command (ls-remote, fetch, clone) may run. Environment variable: <c>HUBHOST_GIT_TIMEOUT</c> (seconds).</summary>
    public TimeSpan GitNetworkTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long libtorch may take to load a TorchScript archive in the child process where the hub loads each new archive
    /// first (its code may not compile, which ends a process, or loop forever in a <c>__setstate__</c>); the child is
    /// then stopped and the load refused. Environment variable: <c>HUBHOST_SCRIPT_PROBE_TIMEOUT</c> (seconds).
    /// </summary>
    public TimeSpan ScriptProbeTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long one local git command (archive, cat-file, rev-parse) may run.</summary>
    public TimeSpan GitLocalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The stall check of downloads (curl's --speed-limit): a download receiving fewer than this many bytes per
    /// second on average over <see cref="DownloadStallTime"/> fails. 0 turns the check off. Environment variable:
    /// <c>HUBHOST_DOWNLOAD_MIN_SPEED</c>.
    /// </summary>
    public long DownloadMinimumSpeed { get; set; } = 1024;

    /// <summary>The window of the download stall check. Environment variable: <c>HUBHOST_DOWNLOAD_STALL_TIME</c> (seconds).</summary>
    public TimeSpan DownloadStallTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>https://huggingface.co, where <c>hf://</c> weights URLs resolve unless <see cref="HuggingFaceEndpoint"/> says otherwise.</summary>
    public const string HuggingFaceHubUrl = HuggingFaceUrls.DefaultEndpoint;

    /// <summary>
    /// The Hugging Face hub (or a mirror of it) that <c>hf://owner/repo[@revision]/path</c> weights URLs resolve against:
    /// <c>{endpoint}/owner/repo/resolve/{commit}/path</c>. An http(s) URL without credentials, query or fragment.
    /// Environment variable: <c>HF_ENDPOINT</c> (the one huggingface_hub reads).
    /// </summary>
    public string HuggingFaceEndpoint { get; set; } = HuggingFaceHubUrl;

    /// <summary>
    /// A Hugging Face access token for gated and private repos, sent as <c>Authorization: Bearer</c> only to the host of
    /// <see cref="HuggingFaceEndpoint"/> (never to the CDN it redirects to, another host, a log, an error or the cache).
    /// Environment variable: <c>HF_TOKEN</c>.
    /// </summary>
    public string? HuggingFaceToken { get; set; }

    /// <summary>
    /// The defaults with every environment variable named on these properties applied (unset or empty ones keep
    /// the default): what the <c>hubhost</c> command line and the static <see cref="Hub"/> use.
    /// </summary>
    /// <exception cref="HubException">A variable's value is malformed; the message names it and what to give.</exception>
    public static HubOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>Like <see cref="FromEnvironment()"/>, reading variables through <paramref name="variable"/>.</summary>
    internal static HubOptions FromEnvironment(Func<string, string?> variable)
    {
        string? Text(string name) => variable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        var options = new HubOptions();
        if (Text("HUBHOST_HOME") is { } home) options.HubDirectory = Path.Combine(home, "hub");
        if (Text("HUBHOST_OFFLINE") is { } offline) options.Offline = Flag("HUBHOST_OFFLINE", offline);
        if (Text("HUBHOST_NO_BUILD") is { } noBuild) options.DisableBuilds = Flag("HUBHOST_NO_BUILD", noBuild);
        if (Text("HUBHOST_BUILD_TIMEOUT") is { } build) options.BuildTimeout = Seconds("HUBHOST_BUILD_TIMEOUT", build);
        if (Text("HUBHOST_GIT_BASE_URL") is { } baseUrl)
            options.GitBaseUrl = GitUrls.CheckBaseUrl(baseUrl, "HUBHOST_GIT_BASE_URL");
        if (Text("GITHUB_TOKEN") is { } token) options.GitHubToken = token;
        if (Text("HUBHOST_GIT_TIMEOUT") is { } git) options.GitNetworkTimeout = Seconds("HUBHOST_GIT_TIMEOUT", git);
        if (Text("HUBHOST_SCRIPT_PROBE_TIMEOUT") is { } probe) options.ScriptProbeTimeout = Seconds("HUBHOST_SCRIPT_PROBE_TIMEOUT", probe);
        if (Text("HUBHOST_TRUSTED_OWNERS") is { } owners)
        {
            options.TrustedOwners = owners.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (options.TrustedOwners.FirstOrDefault(o => !GitUrls.IsOwnerPattern(o)) is not null)
                throw Malformed("HUBHOST_TRUSTED_OWNERS", owners, "owners as owner/* or https://host/owner/*, separated by commas, such as myorg/*,https://git.example.com/ml/*");
        }
        if (Text("HUBHOST_NUGET_TIMEOUT") is { } nuget) options.NuGetTimeout = Seconds("HUBHOST_NUGET_TIMEOUT", nuget);
        if (Text("HUBHOST_DOWNLOAD_MIN_SPEED") is { } speed)
            options.DownloadMinimumSpeed = long.TryParse(speed, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
                ? bytes
                : throw Malformed("HUBHOST_DOWNLOAD_MIN_SPEED", speed, "a whole number of bytes per second (0 turns the stall check off), such as 1024");
        if (Text("HUBHOST_DOWNLOAD_STALL_TIME") is { } stall) options.DownloadStallTime = Seconds("HUBHOST_DOWNLOAD_STALL_TIME", stall);
        if (Text("HF_ENDPOINT") is { } endpoint) options.HuggingFaceEndpoint = HuggingFaceUrls.CheckEndpoint(endpoint, "HF_ENDPOINT");
        if (Text("HF_TOKEN") is { } hfToken) options.HuggingFaceToken = hfToken;
        return options;
    }

    /// <summary>A copy.</summary>
    internal HubOptions Copy()
    {
        var copy = (HubOptions)MemberwiseClone();
        copy.TrustedOwners = [.. TrustedOwners];
        return copy;
    }

    /// <summary>A checked copy, the one a client keeps: later changes to this object do not reach it.</summary>
    internal HubOptions Snapshot()
    {
        var copy = Copy();
        // The defaults are checked URLs already (OptionsTests): parsing them as URLs cost every process ~4 ms of start-up.
        copy.GitBaseUrl = GitBaseUrl == GitHubBaseUrl ? GitBaseUrl : GitUrls.CheckBaseUrl(GitBaseUrl, $"{nameof(HubOptions)}.{nameof(GitBaseUrl)}");
        copy.TrustedOwners = (TrustedOwners ?? []).Select(o => GitUrls.OwnerKey(o ?? "", copy.GitBaseUrl, $"{nameof(HubOptions)}.{nameof(TrustedOwners)}")).ToList();
        Positive(BuildTimeout, nameof(BuildTimeout));
        Positive(GitNetworkTimeout, nameof(GitNetworkTimeout));
        Positive(GitLocalTimeout, nameof(GitLocalTimeout));
        Positive(NuGetTimeout, nameof(NuGetTimeout));
        Positive(DownloadStallTime, nameof(DownloadStallTime));
        Positive(ScriptProbeTimeout, nameof(ScriptProbeTimeout));
        if (DownloadMinimumSpeed < 0)
            throw new HubException($"{nameof(HubOptions)}.{nameof(DownloadMinimumSpeed)} is {DownloadMinimumSpeed}: give 0 (no stall check) or more bytes per second.");
        if (string.IsNullOrEmpty(GitHubToken)) copy.GitHubToken = null;
        copy.HuggingFaceEndpoint = HuggingFaceEndpoint == HuggingFaceHubUrl ? HuggingFaceEndpoint : HuggingFaceUrls.CheckEndpoint(HuggingFaceEndpoint, $"{nameof(HubOptions)}.{nameof(HuggingFaceEndpoint)}");
        if (string.IsNullOrWhiteSpace(HuggingFaceToken)) copy.HuggingFaceToken = null;
        return copy;
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new HubException($"{nameof(HubOptions)}.{name} is {value}: give a time greater than zero.");
    }

    private static bool Flag(string name, string text) => text.ToLowerInvariant() switch
    {
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => throw Malformed(name, text, "1 (or true, yes, on) to turn it on, 0 (or false, no, off) to turn it off"),
    };

    private static TimeSpan Seconds(string name, string text)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(seconds)
            : throw Malformed(name, text, "a number of seconds greater than 0, such as 30");

    private static HubException Malformed(string name, string text, string expected)
        => new($"{name}='{text}' is not valid: give {expected}, or unset it for the default.");
}
