using HubHost.Building;
using HubHost.Packing;
using HubHost.Storage;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Builds a repo as a load would (same build, same cache) and writes a NuGet package of the built hub repo
    /// (<c>hubhost pack</c>): its own assemblies with docs and symbols, the files it ships, a <c>hubhost.json</c>
    /// manifest, and its NuGet dependencies as package dependencies. A fleet loads it as <c>nuget:Id@version</c> with
    /// no build and no SDK.
    /// </summary>
    /// <param name="repo">A local folder or a git repo (not <c>nuget:</c>).</param>
    /// <param name="outputDirectory">Where the .nupkg is written (created if needed).</param>
    /// <param name="id">The package id; null: owner.name for a git repo, the folder name for a local one.</param>
    /// <param name="version">The package version; null: the tag if it is a version, else the project's Version, else 0.0.0-git.g&lt;commit&gt; / 0.0.0-local.h&lt;hash&gt;.</param>
    /// <param name="options">Trust and force reload, as for a load.</param>
    /// <param name="cancellationToken">Cancels the build or the write.</param>
    /// <exception cref="HubException">The repo cannot be resolved or built, or the id or version is invalid.</exception>
    public async Task<PackResult> PackAsync(string repo, string outputDirectory, string? id = null, string? version = null, HubLoadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var source = Pipeline.Parse(repo);
        if (source.PackRefusal is { } refusal) throw new HubException(refusal);
        // What can be checked before a build is: a typo in -o, --id or --version never costs one.
        HubPackager.CheckName(id, version);
        WritableFolder.Ensure(Path.GetFullPath(outputDirectory), "The output folder", "Give pack's output (-o) a folder you can write to.");
        using var resolved = await Pipeline.ResolveAsync(source, options ?? HubLoadOptions.Default, cancellationToken).ConfigureAwait(false);
        var (packageId, packageVersion) = HubPackager.Name(source, resolved.Snapshot, id, version);
        // One walk of the pipeline: the version is loaded (its entrypoints are the package's), and released again unless it was loaded before.
        var wasLoaded = Pipeline.IsLoaded(resolved);
        var opened = await Pipeline.LoadAsync(resolved, cancellationToken).ConfigureAwait(false);
        try
        {
            return HubPackager.Write(source, resolved.Snapshot, opened.Build, opened.Entrypoints, packageId, packageVersion, outputDirectory);
        }
        finally
        {
            if (!wasLoaded) opened.Dispose();
        }
    }

    /// <summary>
    /// Writes the contract packages hub repos compile against (HubHost.Contract, made from this host's own assembly)
    /// into the hub's local NuGet feed and returns it (<c>hubhost contracts</c>): add the folder as a NuGet source so
    /// a repo author's IDE restores exactly what the hub builds against.
    /// </summary>
    public async Task<ContractFeed> WriteContractFeedAsync(CancellationToken cancellationToken = default)
    {
        EnsureWritableHubDirectory();
        await ContractPackages.EnsureFeedAsync(HubDirectory, cancellationToken).ConfigureAwait(false);
        return new ContractFeed(HubDirectories.ContractFeed(HubDirectory),
            ContractPackages.Assemblies.Select(a => new ContractPackage(a.GetName().Name!, ContractPackages.PackageVersion(a))).ToList());
    }
}

/// <summary>The hub's local feed of contract packages (<see cref="HubClient.WriteContractFeedAsync"/>).</summary>
public sealed record ContractFeed
{
    internal ContractFeed(string Folder, IReadOnlyList<ContractPackage> Packages)
    {
        this.Folder = Folder;
        this.Packages = Packages;
    }

    /// <summary>The feed folder (a NuGet source).</summary>
    public string Folder { get; init; }

    /// <summary>The packages in it.</summary>
    public IReadOnlyList<ContractPackage> Packages { get; init; }
}

/// <summary>A contract package: what hub repos compile against and the host provides at load.</summary>
public sealed record ContractPackage
{
    internal ContractPackage(string Id, string Version)
    {
        this.Id = Id;
        this.Version = Version;
    }

    /// <summary>The package id (the assembly's name).</summary>
    public string Id { get; init; }

    /// <summary>The package version.</summary>
    public string Version { get; init; }
}
