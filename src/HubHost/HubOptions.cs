using Microsoft.Extensions.Logging;

namespace HubHost;

/// <summary>Settings of a <see cref="HubClient"/>.</summary>
public sealed class HubOptions
{
    /// <summary>
    /// The hub directory (torch.hub's hub_dir). Null: <c>$HUBHOST_HOME/hub</c>, else
    /// <c>$XDG_CACHE_HOME/hubhost/hub</c>, else <c>~/.cache/hubhost/hub</c>.
    /// </summary>
    public string? HubDirectory { get; set; }

    /// <summary>
    /// Asks a person whether to trust a repo (the question is the argument; true to trust). Null: nobody can be
    /// asked, so an untrusted repo is refused with a message saying how to trust it. The CLI sets this when
    /// it runs on a terminal.
    /// </summary>
    public Func<string, bool>? TrustPrompt { get; set; }

    /// <summary>
    /// The nuget.config whose feeds (and credentials) <c>nuget:</c> repos are resolved against. Null: NuGet's usual
    /// files — nuget.config in the current folder and above, the user's, the machine's.
    /// </summary>
    public string? NuGetConfigFile { get; set; }

    /// <summary>Where diagnostics go. Null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
