using System.CommandLine;
using HubHost.Packing;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost pack REPO [-o DIR] [--id ID] [--version V]</c>: builds a repo and writes a NuGet package of the built hub
/// repo, to push to any feed (<c>dotnet nuget push</c>) and load anywhere with <c>nuget:Id</c>, without the SDK.
/// </summary>
internal static class PackCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var output = new Option<string>("--output", "-o") { Description = "The folder to write the .nupkg to (default: the current folder)." };
        var id = new Option<string>("--id") { Description = "The package id (default: owner.name for a git repo, the folder name for a local one)." };
        var version = new Option<string>("--version") { Description = "The package version (default: the tag if it is a version, else the project's Version, else 0.0.0-git.g<commit> / 0.0.0-local.h<hash>)." };
        var command = new Command("pack", "Build a repo and write a NuGet package of the built hub repo (its assemblies, docs, shipped files and a hubhost.json manifest; dependencies as package dependencies), loadable as nuget:Id with no build.")
        {
            repo, output, id, version,
        };
        RepoOptions.AddLoadOptions(command, locks: false);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var result = await app.Hub.PackAsync(parse.GetValue(repo)!, parse.GetValue(output) ?? Directory.GetCurrentDirectory(),
                parse.GetValue(id), parse.GetValue(version), RepoOptions.LoadOptions(parse), token);
            app.Print(new
            {
                path = result.Path, id = result.Id, version = result.Version, bytes = result.Bytes, dependencies = result.Dependencies,
                entrypoints = result.Entrypoints, contracts = result.Contracts, files = result.Files,
            }, () => string.Join("\n",
                result.Path,
                $"  package:      {result.Id} {result.Version} ({CacheCommand.Size(result.Bytes)}, {result.Files.Count} files)",
                $"  from:         {result.Repo}{(result.Commit is null ? "" : " @ " + result.Commit[..12])}",
                $"  entrypoints:  {string.Join(", ", result.Entrypoints)}",
                $"  dependencies: {(result.Dependencies.Count == 0 ? "none" : string.Join(", ", result.Dependencies))}",
                $"  contracts:    {(result.Contracts.Count == 0 ? "none" : string.Join(", ", result.Contracts.Select(c => $"{c.Key} {c.Value}")))} (provided by the host)",
                $"Push it with `dotnet nuget push {Path.GetFileName(result.Path)} --source FEED`; load it with nuget:{result.Id}@{result.Version}."));
            return 0;
        }, ct));
        return command;
    }
}
