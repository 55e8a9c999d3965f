namespace HubHost.Serve;

/// <summary>What <c>hubhost serve</c> shows and where it listens.</summary>
public sealed record ServeOptions
{
    /// <summary>The default address: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The longest refresh interval, in minutes: 4 weeks (a timer's period must stay under 49.7 days).</summary>
    public const double MaxRefreshMinutes = 40320;

    /// <summary>The page title.</summary>
    public string Title { get; init; } = "HubHost catalog";

    /// <summary>The repo strings to show, one per ref (<c>owner/name:ref</c>, <c>URL#ref</c>, a local folder).</summary>
    public IReadOnlyList<string> Repos { get; init; } = [];

    /// <summary>The addresses to listen on.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>Allow addresses other than loopback (the catalog then is visible to the network).</summary>
    public bool AllowRemote { get; init; }

    /// <summary>How often every ref is resolved again; null or zero: only on the refresh button.</summary>
    public TimeSpan? RefreshInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Lock files (<c>hubhost lock</c>) to show side by side at <c>/locks</c> (and <c>/api/locks</c>): what each pins, and what changed from
    /// one to the next (two releases: commits, packages, weights). Read on each request, so a rewritten lock shows at once.
    /// </summary>
    public IReadOnlyList<string> Locks { get; init; } = [];

    /// <summary>How many repos are opened (built when not cached) at once.</summary>
    public int Parallelism { get; init; } = 2;
}
