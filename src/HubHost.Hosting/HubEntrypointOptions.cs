using HubHost.Reloading;

namespace HubHost.Hosting;

/// <summary>
/// One hosted entrypoint (<c>services.AddHubEntrypoint&lt;T&gt;(name, ...)</c>): which repo and entrypoint to load
/// when the host starts, its arguments, and how it reloads. Plain values, so they bind from a configuration section:
/// <code>
/// "Digits": { "Repo": "./plugins-sample/vision", "Entrypoint": "digits_mlp", "Arguments": { "pretrained": "true" }, "PollInterval": "00:05:00" }
/// </code>
/// </summary>
public sealed class HubEntrypointOptions
{
    /// <summary>
    /// A local folder, <c>owner/name[:ref]</c>, a git URL with <c>#ref</c>, or <c>nuget:Id@range</c>. A relative folder
    /// (<c>./</c>, <c>../</c>) is taken relative to the host's content root (<c>IHostEnvironment.ContentRootPath</c>,
    /// the current folder unless the app sets another), as ASP.NET Core takes its files. Required.
    /// </summary>
    public string? Repo { get; set; }

    /// <summary>The entrypoint to call on each version (a public static method of the repo's <c>Hubconf</c>). Required.</summary>
    public string? Entrypoint { get; set; }

    /// <summary>
    /// The entrypoint's named arguments as text, converted to its parameters' types as the command line's
    /// <c>--arg name=value</c> are (<c>"pretrained": "true"</c>, <c>"num_classes": "10"</c>). Empty: none.
    /// </summary>
    public Dictionary<string, string?> Arguments { get; } = new(StringComparer.Ordinal);

    /// <summary>Also reload on this interval (null: only on <see cref="ReloadableEntrypoint{T}.ReloadAsync"/>). Each poll fetches, so keep it to minutes for remote repos.</summary>
    public TimeSpan? PollInterval { get; set; }

    /// <summary>
    /// Trust for a git repo, checked on the first load and each reload: <see cref="TrustRepo.Check"/> (the default:
    /// refused unless already in the trusted list, since a service has nobody to ask) or <see cref="TrustRepo.Trust"/>
    /// (add it to the list). Local folders are always trusted.
    /// </summary>
    public TrustRepo TrustRepo { get; set; } = TrustRepo.Check;

    /// <summary>
    /// A lock file (<c>hubhost lock</c> writes one) whose entry for <see cref="Repo"/> this entrypoint loads exactly: the locked commit
    /// (or package version), NuGet packages and weights SHA-256, refusing any difference when the host starts. Relative to the content
    /// root. Null: no lock.
    /// </summary>
    public string? LockFile { get; set; }
}
