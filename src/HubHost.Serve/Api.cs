namespace HubHost.Serve;

/// <summary>The JSON shapes of /api (documented in README.md, "hubhost serve").</summary>
internal static partial class Api
{
    public static object Catalog(HubCatalog catalog, string title) => new
    {
        title,
        refreshing = catalog.IsRefreshing,
        lastRefresh = catalog.LastRefresh,
        repos = catalog.Repos.Select(Repo),
    };

    public static object Repo(CatalogRepo repo) => new
    {
        id = repo.Id,
        name = repo.Name,
        local = repo.IsLocal,
        trustCommand = repo.TrustCommand,
        refs = repo.Refs.Select(r => new
        {
            @ref = r.Label,
            load = r.Shown,
            status = Status(r.Status),
            version = r.Version,
            error = r.Error,
            updatedAt = r.UpdatedAt,
            hasReadme = r.ReadmeHtml is not null,
            entrypoints = r.Entrypoints.Select(e => new
            {
                name = e.Info.Name,
                title = e.Meta.Title,
                summary = e.Info.Summary,
                signature = e.Info.Signature,
                category = e.Meta.Category,
                tags = e.Meta.Tags,
                image = Urls.ImageSource(repo, r.Label, e.Info.Name, e.Meta.Image),
                paper = Urls.Paper(e.Meta.Paper),
                page = Urls.Entry(repo, r.Label, e.Info.Name),
                api = $"/api/repos/{repo.Id}/entrypoints/{Uri.EscapeDataString(e.Info.Name)}?ref={Uri.EscapeDataString(r.Label)}",
            }),
        }),
    };

    public static object Entry(CatalogRepo repo, RefState state, CatalogEntrypoint entry) => new
    {
        repo = repo.Name,
        repoId = repo.Id,
        @ref = state.Label,
        version = state.Version,
        name = entry.Info.Name,
        signature = entry.Info.Signature,
        summary = entry.Info.Summary,
        parameters = entry.Info.Parameters.Select(p => new { name = p.Name, type = p.Type, hasDefault = p.HasDefault, @default = p.DefaultValue, description = p.Description }),
        returnType = entry.Info.ReturnType,
        returns = entry.Info.Returns,
        remarks = entry.Info.Remarks,
        examples = entry.Info.Examples,
        metadata = new { entry.Meta.Title, entry.Meta.Category, entry.Meta.Tags, image = Urls.ImageSource(repo, state.Label, entry.Info.Name, entry.Meta.Image), paper = Urls.Paper(entry.Meta.Paper) },
        csharp = entry.Info.CSharpCall(state.Shown),
        cli = entry.Info.CliCall(state.Shown),
        page = Urls.Entry(repo, state.Label, entry.Info.Name),
    };

    public static object Compare(CatalogRepo repo, RefState a, RefState b, IReadOnlyList<EntrypointChange> changes) => new
    {
        repo = repo.Name,
        repoId = repo.Id,
        a = new { @ref = a.Label, version = a.Version, status = Status(a.Status) },
        b = new { @ref = b.Label, version = b.Version, status = Status(b.Status) },
        entrypoints = changes.Select(c => new
        {
            name = c.Name,
            kind = c.Kind.ToString().ToLowerInvariant(),
            before = c.Before?.Signature,
            after = c.After?.Signature,
            changes = c.Changes.Select(x => new { aspect = x.Aspect, what = x.What, before = x.Before, after = x.After }),
        }),
    };

    public static string Status(RefStatus s) => s switch
    {
        RefStatus.Ready => "ready",
        RefStatus.NotTrusted => "not-trusted",
        RefStatus.Failed => "failed",
        _ => "loading",
    };

    public static object Error(string message) => new { error = message };
}
