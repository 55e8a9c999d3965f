using HubHost.Locking;
using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary>Options every command that opens a repo shares: arguments, force reload, trust.</summary>
internal static class RepoOptions
{
    public static Argument<string> Repo(string name = "REPO") => new(name)
    {
        Description = "A local folder with hubconf.csproj, written as a path (./hub, ../hub, /abs/hub, ~/hub), or a git repo: owner/name[:ref] (always git) or a git URL with #ref, or a prebuilt hub package: nuget:Id[@version-or-range].",
    };

    public static Argument<string> Entrypoint() => new("ENTRY") { Description = "The entrypoint's name (see `hubhost list`)." };

    public static readonly Option<string[]> Arguments = new("--arg", "-a")
    {
        Description = "An entrypoint argument as NAME=VALUE (repeatable); values convert to the parameter's type.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<bool> ForceReload = new("--force-reload")
    {
        Description = "Re-resolve the ref, fetch and rebuild if it moved (torch.hub's force_reload).",
    };

    public static readonly Option<bool> TrustRepo = new("--trust-repo")
    {
        Description = "Trust this git repo (add it to the trusted list) and build it without asking.",
    };

    public static readonly Option<bool> SkipValidation = new("--skip-validation")
    {
        Description = "Accept a commit SHA that no branch or tag of the repo contains (it may be a commit from someone else's fork; torch.hub's skip_validation).",
    };

    public static readonly Option<string> Locked = new("--locked")
    {
        Description = "Load exactly what this lock file records (see `hubhost lock`): the locked commit or package version, the locked NuGet packages, every weights file checked against its SHA-256; any difference is refused.",
    };

    public static readonly Option<bool> Verify = new("--verify")
    {
        Description = "Re-hash every cached weights file the repo fetches, in full, instead of trusting the size and SHA-256 recorded when it was cached.",
    };

    /// <param name="command">The command.</param>
    /// <param name="locks">Whether it takes --locked and --verify (commands that load a repo to use it).</param>
    public static void AddLoadOptions(Command command, bool locks = true)
    {
        command.Options.Add(ForceReload);
        command.Options.Add(TrustRepo);
        command.Options.Add(SkipValidation);
        if (!locks) return;
        command.Options.Add(Locked);
        command.Options.Add(Verify);
    }

    public static HubLoadOptions LoadOptions(ParseResult parse) => new()
    {
        ForceReload = parse.GetValue(ForceReload),
        TrustRepo = parse.GetValue(TrustRepo) ? HubHost.TrustRepo.Trust : HubHost.TrustRepo.Check,
        SkipValidation = parse.GetValue(SkipValidation),
        Lock = parse.GetResult(Locked) is null ? null : parse.GetValue(Locked) is { Length: > 0 } path ? HubLock.Load(path) : throw new HubException("--locked needs a lock file: --locked hubhost.lock.json."),
        Verify = parse.GetResult(Verify) is not null && parse.GetValue(Verify),
    };

    /// <summary>Parses repeated NAME=VALUE pairs into named arguments.</summary>
    public static HubArguments ParseArguments(ParseResult parse)
    {
        var named = new List<KeyValuePair<string, object?>>();
        foreach (var pair in parse.GetValue(Arguments) ?? [])
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new HubException($"--arg '{pair}' is not NAME=VALUE. Write it as --arg name=value, e.g. --arg pretrained=true.");
            named.Add(new(pair[..eq].Trim(), pair[(eq + 1)..]));
        }
        return new HubArguments(named: named);
    }
}
