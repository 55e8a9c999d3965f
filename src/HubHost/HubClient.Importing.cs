using HubHost.Entrypoints;
using System.Diagnostics;
using System.Globalization;
using HubHost.Checkpoints;
using HubHost.Downloads;
using HubHost.Importing;
using HubHost.Running;
using HubHost.Processes;
using HubHost.Sources;
using HubHost.Sources.NuGet;
using HubHost.Storage;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace HubHost;

public sealed partial class HubClient
{
    private static readonly string[] Tasks = ["classification", "segmentation", "generation", "text"];

    /// <summary>
    /// <c>hubhost import</c>: turns entrypoints of a Python torch.hub repo into a HubHost repo. PyTorch (the
    /// <see cref="ImportRequest.Python"/> interpreter) calls each entrypoint through <c>torch.hub.load(repo, entry,
    /// source='local', **arguments)</c>, puts the model in eval mode and exports it with <c>torch.jit.script</c> (or, when
    /// that fails, <c>torch.jit.trace</c> on the example inputs); the repo written loads each archive as a TorchScript
    /// module. The import then proves it: it builds and loads the repo through this hub, runs each model on the example
    /// inputs and compares with PyTorch's outputs for them (max relative difference ≤ 1e-4). Nothing is written to
    /// <see cref="ImportRequest.OutputDirectory"/> unless everything succeeded.
    /// </summary>
    /// <param name="request">What to import and where.</param>
    /// <param name="options">Trust and reload options for a git source (the repo's Python code runs, as a build would).</param>
    /// <param name="cancellationToken">Stops the import (and Python); nothing is left behind.</param>
    /// <exception cref="HubException">Anything that went wrong, in one message: no such repo or entrypoint, no PyTorch, a model that cannot be exported, or an archive HubHost does not reproduce.</exception>
    public async Task<ImportResult> ImportAsync(ImportRequest request, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var watch = Stopwatch.StartNew();
        var entries = CheckImportEntries(request.Entrypoints);
        if (request.ExampleInputs is not { Count: > 0 })
            throw new HubException("Give the model's example input with --example-input: its shape, batch first (1,3,224,224), with :dtype for integers (1,16:int64), or an .npy file; once per input of its forward.");
        var inputs = request.ExampleInputs.Select(ExampleInputSpec.Parse).ToList();
        var arguments = CheckImportArguments(request.Arguments);
        if (request.Task is { } task && !Tasks.Contains(task))
            throw new HubException($"--task {task} is not one hubhost run knows; give one of {string.Join(", ", Tasks)}, or leave it out to have it guessed from the shapes.");
        var baseUrl = request.WeightsUrl is { } weightsUrl ? UrlText.ParseHttp(weightsUrl.TrimEnd('/') + "/").ToString() : null;
        if (string.IsNullOrWhiteSpace(request.OutputDirectory))
            throw new HubException("Give the folder to write the HubHost repo to with -o DIR.");
        var output = Path.GetFullPath(HubDirectories.ExpandHome(request.OutputDirectory));
        var manifest = ExistingImport(output);
        EnsureWritableHubDirectory();

        var (repoDirectory, commit, source, lease) = await ResolvePythonRepoAsync(request.Repo, options, cancellationToken).ConfigureAwait(false);
        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        var work = TempFolders.For(parent, "import");
        var staging = TempFolders.For(parent, Path.GetFileName(output));
        var upload = baseUrl is null ? null : output + "-upload";
        try
        {
            var exported = await PythonExporter.RunAsync(request.Python,
                new PythonRequest(repoDirectory, entries, arguments, inputs, work, Seed: 0), Logger, TimeProvider, cancellationToken).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow;
            var models = exported.Entries.Select(m => Complete(m, request, source, commit, exported, baseUrl, now)).ToList();

            // The repo, complete, in a staging folder beside DIR: the files of an earlier import, then this one's.
            var replacing = manifest is not null;
            CopyRepoContent(replacing ? output : null, staging);
            manifest ??= new ImportManifest();
            foreach (var m in models) manifest.Entrypoints[m.Name] = m;
            var uploadStage = upload is null ? null : Path.Combine(work, "upload");
            MoveExportedFiles(work, staging, uploadStage, models);
            var command = ImportCommandLine(request, entries);
            WriteImportedRepo(staging, Path.GetFileName(output), manifest, models, command);

            // The proof: this hub builds and loads the staged repo and reproduces PyTorch's outputs.
            if (uploadStage is not null) SeedCheckpointCache(uploadStage, models);
            var checkedModels = await CheckImportAsync(staging, models, cancellationToken).ConfigureAwait(false);
            foreach (var m in checkedModels) manifest.Entrypoints[m.Model.Name] = m.Model;
            WriteImportedRepo(staging, Path.GetFileName(output), manifest, checkedModels.Select(m => m.Model), command);

            Publish(staging, output, replacing);
            if (uploadStage is not null)
            {
                Directory.CreateDirectory(upload!);
                foreach (var m in models) File.Move(Path.Combine(uploadStage, m.Archive), Path.Combine(upload!, m.Archive), overwrite: true);
            }
            Logger.LogInformation("Imported {Entries} into {Directory}", string.Join(", ", entries), output);
            return new ImportResult(output, request.Repo, commit, exported.Torch ?? "", checkedModels.Select(c => new ImportedEntrypoint(
                c.Model.Name, c.Model.Method, c.Model.ScriptError, c.Model.Archive, c.Model.Sha256, c.Model.Url, ImportedRepoWriter.ReturnType(c.Model), c.Outputs)).ToList(),
                upload, watch.Elapsed);
        }
        finally
        {
            FileTree.TryDelete(work, Logger, "the import's work folder");
            FileTree.TryDelete(staging, Logger, "the import's staging folder");
            lease?.Dispose();
        }
    }

    private static List<string> CheckImportEntries(IReadOnlyList<string>? names)
    {
        if (names is not { Count: > 0 })
            throw new HubException("Give at least one entrypoint of the Python repo's hubconf.py to import.");
        foreach (var name in names)
            if (!ImportedRepoWriter.IsValidName(name))
                throw new HubException($"'{name}' cannot be imported as an entrypoint: give the name of a public function of hubconf.py (letters, digits and _, starting with a letter).");
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new HubException($"The entrypoint {duplicate.Key} is given twice; give each once.");
        return [.. names];
    }

    private static Dictionary<string, string> CheckImportArguments(IReadOnlyDictionary<string, string>? arguments)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in arguments ?? new Dictionary<string, string>())
        {
            if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_') || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new HubException($"--arg {key}=... does not name a Python keyword argument: give NAME=VALUE with NAME an identifier, e.g. --arg num_classes=21.");
            result[key] = value;
        }
        return result;
    }

    /// <summary>The manifest of an earlier import into <paramref name="output"/>; null for a new (or empty) folder.</summary>
    private static ImportManifest? ExistingImport(string output)
    {
        if (File.Exists(output))
            throw new HubException($"'{output}' is a file: give the folder to write the HubHost repo to with -o DIR.");
        if (!Directory.Exists(output) || !Directory.EnumerateFileSystemEntries(output).Any()) return null;
        return ImportManifest.TryRead(output)
               ?? throw new HubException($"'{output}' is a folder that hubhost import did not write (it has no {ImportManifest.FileName}): import into a new or empty folder, " +
                                         "or into one an earlier import wrote, which gets the entrypoints added.");
    }

    /// <summary>The Python repo's folder: a local folder as it is, or a git commit's checkout through the hub's git cache (trusted first, never built).</summary>
    private async Task<(string Directory, string? Commit, string Source, IDisposable? Lease)> ResolvePythonRepoAsync(string repo, HubLoadOptions? options, CancellationToken cancellationToken)
    {
        var source = Pipeline.Parse(repo);
        switch (source.Footprint)
        {
            case FolderFootprint:
                var folder = source.RepoName;
                if (!Directory.Exists(folder))
                    throw new HubException($"The Python repo '{repo}' does not exist. Give the folder of a Python torch.hub repo (with {HubRepoLayout.PythonHubconf}) or a git repo (owner/name[:ref]).");
                if (!File.Exists(Path.Combine(folder, HubRepoLayout.PythonHubconf)))
                    throw new HubException(HubRepoLayout.NotAPythonRepo($"'{folder}'"));
                return (folder, await LocalCommitAsync(folder, cancellationToken).ConfigureAwait(false), repo.Trim(), null);
            case PackageFootprint:
                throw new HubException($"'{repo}' is a prebuilt HubHost package; hubhost import reads Python torch.hub repos: a folder with {HubRepoLayout.PythonHubconf}, or a git repo (owner/name[:ref]).");
            default:
                var resolved = await Pipeline.ResolveAsync(source, options ?? HubLoadOptions.Default, cancellationToken, HubRepoLayout.PythonHubconf).ConfigureAwait(false);
                return (resolved.Snapshot.Directory, resolved.Snapshot.ContentKey.Commit, source.DisplayName, resolved);
        }
    }

    /// <summary>The commit of a local folder inside a git work tree (with "+changes" when it has uncommitted ones); null otherwise.</summary>
    private async Task<string?> LocalCommitAsync(string folder, CancellationToken cancellationToken)
    {
        try
        {
            var head = await ChildProcess.RunAsync("git", ["-C", folder, "rev-parse", "HEAD"], folder, null, Settings.GitLocalTimeout, cancellationToken, TimeProvider).ConfigureAwait(false);
            if (head.ExitCode != 0 || head.StandardOutput.Trim() is not { Length: 40 } sha) return null;
            var status = await ChildProcess.RunAsync("git", ["-C", folder, "status", "--porcelain", "--", "."], folder, null, Settings.GitLocalTimeout, cancellationToken, TimeProvider).ConfigureAwait(false);
            return status.ExitCode == 0 && status.StandardOutput.Trim().Length > 0 ? sha + "+changes" : sha;
        }
        catch (Exception e) when (e is HubException or TimeoutException or IOException)
        {
            return null; // no git here: the provenance says less
        }
    }

    private static ImportedModel Complete(ImportedModel m, ImportRequest request, string source, string? commit, PythonResult exported, string? baseUrl, DateTimeOffset now)
    {
        var archive = baseUrl is null ? m.Archive : $"{m.Name}-{m.Sha256[..8]}.pt";
        var model = m with
        {
            Archive = archive,
            Url = baseUrl is null ? null : baseUrl + archive,
            Source = source,
            Commit = commit,
            Torch = exported.Torch ?? "",
            Python = exported.Python ?? "",
            ImportedAt = now,
            Inputs = m.Inputs.Select(i => i with { File = $"{ImportedRepoWriter.SamplesFolder}/{i.File}" }).ToList(),
            Outputs = m.Outputs.Select(o => o with { File = $"{ImportedRepoWriter.SamplesFolder}/{o.File}" }).ToList(),
        };
        var task = request.Task ?? ImportedRepoWriter.GuessTask(model);
        return model with { Task = task, Category = request.Category ?? ImportedRepoWriter.CategoryOf(task) };
    }

    private static void CopyRepoContent(string? from, string to)
    {
        Directory.CreateDirectory(to);
        if (from is null) return;
        foreach (var (relative, info) in FileTree.EnumerateContent(from))
        {
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            info.CopyTo(target);
        }
    }

    /// <summary>The archives into the repo (or the files to upload), the example inputs and PyTorch's outputs into samples/.</summary>
    private static void MoveExportedFiles(string work, string staging, string? uploadStage, List<ImportedModel> models)
    {
        Directory.CreateDirectory(Path.Combine(staging, ImportedRepoWriter.SamplesFolder));
        if (uploadStage is not null) Directory.CreateDirectory(uploadStage);
        foreach (var m in models)
        {
            var archive = Path.Combine(work, m.Name + ".pt");
            File.Move(archive, Path.Combine(uploadStage ?? staging, m.Archive), overwrite: true);
            if (uploadStage is not null) File.Delete(Path.Combine(staging, m.Name + ".pt")); // an earlier import of this entrypoint shipped it in the repo
            foreach (var t in m.Inputs.Concat(m.Outputs))
                File.Move(Path.Combine(work, Path.GetFileName(t.File)), Path.Combine(staging, t.File), overwrite: true);
        }
    }

    private void WriteImportedRepo(string staging, string title, ImportManifest manifest, IEnumerable<ImportedModel> models, string command)
    {
        if (!ImportedRepoWriter.HasProject(staging))
            File.WriteAllText(Path.Combine(staging, HubRepoLayout.ProjectFileName), ImportedRepoWriter.Project(PackageVersion(typeof(torch)), PackageVersion(typeof(Contract.IHubServices))));
        File.WriteAllText(Path.Combine(staging, ImportedRepoWriter.HubconfFile), ImportedRepoWriter.Hubconf(manifest));
        var modules = Path.Combine(staging, ImportedRepoWriter.ModulesFile);
        if (manifest.Entrypoints.Values.Any(m => m.OutputKind == "dict")) File.WriteAllText(modules, ImportedRepoWriter.Modules);
        else File.Delete(modules);
        var readme = Path.Combine(staging, ImportedRepoWriter.ReadmeFile);
        File.WriteAllText(readme, ImportedRepoWriter.Readme(File.Exists(readme) ? File.ReadAllText(readme) : null, title, manifest, command));
        var catalog = Path.Combine(staging, EntrypointCard.FileName);
        File.WriteAllText(catalog, ImportedRepoWriter.Catalog(File.Exists(catalog) ? File.ReadAllText(catalog) : null, models));
        File.WriteAllBytes(Path.Combine(staging, ImportManifest.FileName), manifest.ToJson());
        Logger.LogDebug("Wrote the imported repo in {Staging}", staging);
    }

    /// <summary>A NuGet version from an assembly's version (0.107.0.0 → 0.107.0).</summary>
    private static string PackageVersion(Type type)
    {
        var v = type.Assembly.GetName().Version ?? new Version(0, 0, 0);
        return $"{v.Major}.{v.Minor}.{Math.Max(0, v.Build)}";
    }

    /// <summary>The command line that repeats this import, for the README.</summary>
    private static string ImportCommandLine(ImportRequest request, List<string> entries)
    {
        var parts = new List<string> { "hubhost import", request.Repo };
        parts.AddRange(entries);
        parts.AddRange(request.ExampleInputs.Select(i => $"--example-input {i}"));
        parts.AddRange(request.Arguments.Select(a => $"--arg {a.Key}={a.Value}"));
        if (request.WeightsUrl is not null) parts.Add($"--weights-url {request.WeightsUrl}");
        if (request.Task is not null) parts.Add($"--task {request.Task}");
        if (request.Category is not null) parts.Add($"--category \"{request.Category}\"");
        parts.Add($"-o {Path.GetFileName(Path.GetFullPath(request.OutputDirectory))}");
        return string.Join(' ', parts);
    }

    /// <summary>
    /// With a weights URL the repo downloads its archives, which are not published yet: the check finds them where the
    /// checkpoint cache keeps that URL's file (as it will after a download), so the repo is checked as users will run it.
    /// </summary>
    private void SeedCheckpointCache(string uploadStage, List<ImportedModel> models)
    {
        foreach (var m in models)
        {
            var cached = CheckpointCachePath(m.Url!);
            if (File.Exists(cached)) continue; // the same name-<sha256 prefix>: the same archive
            AtomicFile.Write(cached, stream =>
            {
                using var archive = File.OpenRead(Path.Combine(uploadStage, m.Archive));
                archive.CopyTo(stream);
            }, flushToDisk: false);
        }
    }

    private sealed record CheckedModel(ImportedModel Model, IReadOnlyList<ImportedOutput> Outputs);

    /// <summary>Builds and loads the staged repo through this hub, runs each imported model on its example inputs and compares with PyTorch.</summary>
    private async Task<List<CheckedModel>> CheckImportAsync(string staging, List<ImportedModel> models, CancellationToken cancellationToken)
    {
        var repo = await OpenAsync(staging, HubLoadOptions.Default, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = new List<CheckedModel>();
            foreach (var m in models)
            {
                using var model = ModelRunner.AsModel(await repo.InvokeAsync(m.Name, null, cancellationToken).ConfigureAwait(false), repo.Name, m.Name);
                var inputs = m.Inputs.Select(i => Npy.Load(Path.Combine(staging, i.File))).ToArray();
                try
                {
                    var outputs = new List<ImportedOutput>();
                    foreach (var expectedOutput in m.Outputs)
                    {
                        // Each output as `hubhost run` picks it: a dictionary key, a tuple position, or the one tensor.
                        var key = expectedOutput.Key;
                        using var actual = ModelRunner.Forward(model, inputs, key.Length == 0 ? null : key);
                        using var expected = Npy.Load(Path.Combine(staging, expectedOutput.File));
                        var (absolute, relative) = ImportCheck.Difference(expected, actual.Tensor);
                        if (!(relative <= ImportCheck.Tolerance))
                        {
                            var shapes = expected.shape.SequenceEqual(actual.Tensor.shape) ? "" : $" (shape [{string.Join(", ", actual.Tensor.shape)}] where PyTorch's is [{string.Join(", ", expected.shape)}])";
                            throw new HubException($"HubHost does not reproduce PyTorch's output{(key.Length > 0 ? $" {key}" : "")} of {m.Name}{shapes}: max relative difference " +
                                                   $"{relative.ToString("G3", CultureInfo.InvariantCulture)} > {ImportCheck.Tolerance:G1} (max absolute {absolute.ToString("G3", CultureInfo.InvariantCulture)}), so nothing was written. " +
                                                   (m.Method == "trace" ? "It was traced: a model whose path depends on its input, or that draws random numbers, cannot be traced faithfully; make it scriptable." :
                                                    "A model whose output changes from run to run (random numbers, dropout left on) cannot be reproduced; make its forward deterministic."));
                        }
                        outputs.Add(new ImportedOutput(key, actual.Tensor.shape, absolute, relative));
                    }
                    result.Add(new CheckedModel(m with { MaxRelativeDifference = outputs.Max(o => o.MaxRelativeDifference) }, outputs));
                }
                finally
                {
                    foreach (var t in inputs) t.Dispose();
                }
            }
            return result;
        }
        finally
        {
            repo.Dispose();
        }
    }

    /// <summary>
    /// Puts the staged repo in place: a new folder by one rename; an earlier import's folder is swapped for the staged one
    /// (its top-level files the import never copies, such as .git, bin and obj, moved over first).
    /// </summary>
    private void Publish(string staging, string output, bool replacing)
    {
        if (!replacing)
        {
            if (Directory.Exists(output)) Directory.Delete(output); // empty
            Directory.Move(staging, output);
            return;
        }
        var copied = new HashSet<string>(Directory.EnumerateFileSystemEntries(staging).Select(Path.GetFileName)!, StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(output))
        {
            var name = Path.GetFileName(entry);
            if (copied.Contains(name)) continue;
            if (Directory.Exists(entry)) Directory.Move(entry, Path.Combine(staging, name));
            else File.Move(entry, Path.Combine(staging, name));
        }
        var old = TempFolders.For(Path.GetDirectoryName(output)!, Path.GetFileName(output) + "-old");
        Directory.Move(output, old);
        try
        {
            Directory.Move(staging, output);
        }
        catch
        {
            Directory.Move(old, output);
            throw;
        }
        FileTree.TryDelete(old, Logger, "the previous repo folder");
    }
}
