namespace HubHost.Serve;

/// <summary>The HTML pages. Every string from a repo goes through <see cref="Html.Append"/> (encoded); the README is Markdig's sanitised output.</summary>
internal sealed partial class Pages(HubCatalog catalog, string title)
{
    private sealed record CachedPage(long Generation, DateTimeOffset? Refreshed, string Html)
    {
        /// <summary>Gzip of the page, made once per catalog change (not per request).</summary>
        public byte[] Gzip => field ??= Compress(Html);

        private static byte[] Compress(string html)
        {
            using var memory = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(memory, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                gzip.Write(System.Text.Encoding.UTF8.GetBytes(html));
            return memory.ToArray();
        }
    }

    private volatile CachedPage? _index;

    private void Layout(Html h, string pageTitle, Action<Html> body)
    {
        h.Raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">");
        h.Raw("<title>").Append(pageTitle).Raw("</title><link rel=\"stylesheet\" href=\"/static/site.css\"><script src=\"/static/app.js\" defer></script></head>");
        // The catalog state the page shows: app.js reloads the page when the server's moves on (a refresh changed a ref).
        h.Raw("<body").Attr("data-generation", catalog.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture)).Raw(">");
        h.Raw("<header><a class=\"home\" href=\"/\">").Append(title).Raw("</a><span class=\"spacer\"></span>");
        h.Raw("<span id=\"refresh-status\" role=\"status\">").Append(catalog.IsRefreshing ? "refreshing…" : catalog.LastRefresh is { } t ? $"refreshed {t:yyyy-MM-dd HH:mm:ss} UTC" : "").Raw("</span>");
        h.Raw("<button id=\"refresh\" type=\"button\">Refresh</button></header><main>");
        body(h);
        h.Raw("</main><footer>Served by <code>hubhost serve</code>. JSON: <a href=\"/api/repos\">/api/repos</a>. Entrypoints are never run by this server.</footer></body></html>");
    }

    /// <summary>The index: a card per entrypoint, search and category filter, each repo's refs. Cached until the catalog changes.</summary>
    public string Index() => IndexPage().Html;

    /// <summary>The index, gzip-compressed (cached with it).</summary>
    public byte[] IndexGzip() => IndexPage().Gzip;

    private CachedPage IndexPage()
    {
        var (generation, refreshed) = (catalog.Generation, catalog.LastRefresh);
        if (_index is { } cached && cached.Generation == generation && cached.Refreshed == refreshed && !catalog.IsRefreshing) return cached;
        var h = new Html();
        Layout(h, title, IndexBody);
        var page = new CachedPage(generation, refreshed, h.ToString());
        _index = page;
        return page;
    }

    private void IndexBody(Html h)
    {
        var cards = new List<(CatalogRepo Repo, RefState Ref, CatalogEntrypoint Entry)>();
        // A card per entrypoint of a repo, from the first ref (in catalog order) that has it: one added on a later ref shows too.
        foreach (var repo in catalog.Repos)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var state in repo.Refs.Where(r => r.Status == RefStatus.Ready))
                cards.AddRange(state.Entrypoints.Where(e => seen.Add(e.Info.Name)).Select(e => (repo, state, e)));
        }
        var categories = cards.Select(c => c.Entry.Meta.Category).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.OrdinalIgnoreCase).ToList();

        h.Raw("<div class=\"toolbar\"><input id=\"search\" type=\"search\" placeholder=\"Search entrypoints, repos, tags\" aria-label=\"Search\" autocomplete=\"off\">");
        h.Raw("<select id=\"category\" aria-label=\"Category\"><option value=\"\">All categories</option>");
        foreach (var c in categories) h.Raw("<option").Attr("value", c).Raw(">").Append(c).Raw("</option>");
        h.Raw("</select><span id=\"count\" data-total=\"").Append(cards.Count.ToString()).Raw("\">").Append($"{cards.Count} entrypoints").Raw("</span></div>");

        h.Raw("<div id=\"cards\" class=\"grid\">");
        foreach (var (repo, state, entry) in cards) Card(h, repo, state, entry);
        h.Raw("</div><p id=\"no-match\" hidden>No entrypoint matches.</p>");

        h.Raw("<h2>Repos</h2><div class=\"repos\">");
        foreach (var repo in catalog.Repos) RepoSummary(h, repo);
        h.Raw("</div>");
    }

    private static void Card(Html h, CatalogRepo repo, RefState state, CatalogEntrypoint entry)
    {
        var info = entry.Info;
        var meta = entry.Meta;
        var search = string.Join(" ", new[] { info.Name, meta.Title, info.Summary, repo.Name, meta.Category }.Concat(meta.Tags)).ToLowerInvariant();
        h.Raw("<article class=\"card\"").Attr("data-search", search).Attr("data-category", meta.Category ?? "").Attr("data-entry", info.Name).Attr("data-repo", repo.Id).Raw(">");
        if (Urls.ImageSource(repo, state.Label, info.Name, meta.Image) is { } src) h.Raw("<img loading=\"lazy\" alt=\"\"").Attr("src", src).Raw(">");
        h.Raw("<h3><a").Attr("href", Urls.Entry(repo, state.Label, info.Name)).Raw(">").Append(meta.Title ?? info.Name).Raw("</a></h3>");
        if (meta.Title is not null) h.Tag("code", info.Name, "entry-name");
        h.Raw("<p class=\"repo-name\">").Append(repo.Name).Raw("</p>");
        h.Tag("p", FirstParagraph(info.Summary), "summary");
        h.Raw("<p class=\"meta\">");
        if (meta.Category is not null) h.Tag("span", meta.Category, "category");
        foreach (var tag in meta.Tags) h.Tag("span", tag, "tag");
        if (Urls.Paper(meta.Paper) is { } paper) h.Raw("<a class=\"paper\" rel=\"noopener noreferrer\"").Attr("href", paper).Raw(">paper</a>");
        h.Raw("</p><p class=\"refs\">");
        foreach (var r in repo.Refs.Where(r => r.Find(info.Name) is not null))
            h.Raw("<a class=\"ref\"").Attr("href", Urls.Entry(repo, r.Label, info.Name)).Raw(">").Append(r.Label).Raw("</a>");
        h.Raw("</p></article>");
    }

    private static void RepoSummary(Html h, CatalogRepo repo)
    {
        h.Raw("<section class=\"repo\"").Attr("data-repo", repo.Id).Raw("><h3>").Append(repo.Name).Raw("</h3><ul class=\"ref-list\">");
        foreach (var r in repo.Refs)
        {
            h.Raw("<li").Attr("data-status", StatusName(r.Status)).Raw(">").Tag("span", r.Label, "ref-label");
            h.Raw(" ").Tag("span", StatusText(r), "status " + StatusName(r.Status));
            if (r.Version is not null) h.Raw(" ").Tag("code", r.Version);
            if (r.Status == RefStatus.NotTrusted && repo.TrustCommand is { } trust)
                h.Raw(" <span class=\"hint\">Not built or fetched by this server. To trust it: <code class=\"trust-command\">").Append(trust).Raw("</code>, then Refresh.</span>");
            if (r.Error is not null) h.Tag("p", r.Error, "error");
            h.Raw("</li>");
        }
        h.Raw("</ul>");
        if (repo.Refs.Count(r => r.Status == RefStatus.Ready) >= 2)
            h.Raw("<a class=\"compare-link\"").Attr("href", Urls.Compare(repo)).Raw(">Compare versions</a>");
        h.Raw("</section>");
    }

    private static string StatusName(RefStatus s) => s switch
    {
        RefStatus.Ready => "ready",
        RefStatus.NotTrusted => "not-trusted",
        RefStatus.Failed => "failed",
        _ => "loading",
    };

    private static string StatusText(RefState r) => r.Status switch
    {
        RefStatus.Ready => $"{r.Entrypoints.Count} entrypoints",
        RefStatus.NotTrusted => "not trusted",
        RefStatus.Failed => "failed",
        _ => "loading…",
    };

    private static string FirstParagraph(string text)
    {
        var blank = text.IndexOf("\n\n", StringComparison.Ordinal);
        return blank < 0 ? text : text[..blank];
    }

    /// <summary>The page of one entrypoint at one ref, or null when there is none.</summary>
    public string? Entry(CatalogRepo repo, RefState state, CatalogEntrypoint entry)
    {
        var h = new Html();
        var info = entry.Info;
        Layout(h, $"{info.Name} · {repo.Name}", h =>
        {
            h.Raw("<article class=\"entry\"><h1>").Append(entry.Meta.Title ?? info.Name).Raw("</h1>");
            h.Raw("<p class=\"repo-name\">").Append(repo.Name).Raw(" <span class=\"refs\">");
            foreach (var r in repo.Refs.Where(r => r.Find(info.Name) is not null))
            {
                h.Raw("<a").Attr("class", r.Label == state.Label ? "ref current" : "ref").Attr("href", Urls.Entry(repo, r.Label, info.Name)).Raw(">").Append(r.Label).Raw("</a>");
            }
            h.Raw("</span>");
            if (state.Version is not null) h.Raw(" ").Tag("code", state.Version, "version");
            h.Raw("</p>");
            h.Raw("<pre class=\"signature\" id=\"signature\">").Append(info.Signature).Raw("</pre>");
            if (info.Summary.Length > 0) h.Tag("div", info.Summary, "doc summary");
            var meta = entry.Meta;
            if (meta.Category is not null || meta.Tags.Count > 0 || meta.Paper is not null)
            {
                h.Raw("<p class=\"meta\">");
                if (meta.Category is not null) h.Tag("span", meta.Category, "category");
                foreach (var tag in meta.Tags) h.Tag("span", tag, "tag");
                if (Urls.Paper(meta.Paper) is { } paper) h.Raw("<a class=\"paper\" rel=\"noopener noreferrer\"").Attr("href", paper).Raw(">paper</a>");
                h.Raw("</p>");
            }
            if (Urls.ImageSource(repo, state.Label, info.Name, meta.Image) is { } src) h.Raw("<img class=\"hero\" alt=\"\"").Attr("src", src).Raw(">");

            Snippet(h, "csharp", "C#", info.CSharpCall(state.Shown));
            Snippet(h, "cli", "CLI", info.CliCall(state.Shown));
            h.Raw("<p id=\"copy-status\" role=\"status\"></p><textarea id=\"copy-fallback\" readonly hidden aria-label=\"Text to copy\"></textarea>");

            if (info.Parameters.Count > 0)
            {
                h.Raw("<h2>Parameters</h2><table class=\"params\"><thead><tr><th>name</th><th>type</th><th>default</th><th>description</th></tr></thead><tbody>");
                foreach (var p in info.Parameters)
                {
                    h.Raw("<tr>").Tag("td", p.Name, "name").Tag("td", p.Type, "type").Tag("td", p.HasDefault ? p.DefaultValue : "required", p.HasDefault ? "default" : "required").Tag("td", p.Description, "doc").Raw("</tr>");
                }
                h.Raw("</tbody></table>");
            }
            h.Raw("<h2>Returns</h2><p><code>").Append(info.ReturnType).Raw("</code>");
            if (!string.IsNullOrEmpty(info.Returns)) h.Raw(" ").Tag("span", info.Returns, "doc");
            h.Raw("</p>");
            if (!string.IsNullOrEmpty(info.Remarks)) h.Raw("<h2>Remarks</h2>").Tag("div", info.Remarks, "doc remarks");
            if (info.Examples.Count > 0)
            {
                h.Raw("<h2>Examples</h2>");
                foreach (var example in info.Examples) h.Tag("pre", example, "example");
            }
            h.Raw("</article>");
            h.Raw("<section class=\"readme\"><h2>README</h2>");
            if (state.ReadmeHtml is not null) h.Raw("<div class=\"markdown\" id=\"readme\">").Raw(state.ReadmeHtml).Raw("</div>");
            else h.Raw("<p class=\"none\">This repo has no README.md.</p>");
            h.Raw("</section>");
        });
        return h.ToString();
    }

    private static void Snippet(Html h, string id, string label, string text)
    {
        h.Raw("<div class=\"snippet\"><span class=\"label\">").Append(label).Raw("</span><pre").Attr("id", "snippet-" + id).Raw(">").Append(text).Raw("</pre>");
        h.Raw("<button type=\"button\" class=\"copy\"").Attr("data-copy", text).Attr("id", "copy-" + id).Raw(">Copy</button></div>");
    }

    /// <summary>Two refs of a repo side by side: what changed for each entrypoint.</summary>
    public string Compare(CatalogRepo repo, RefState? a, RefState? b, IReadOnlyList<EntrypointChange>? changes)
    {
        var h = new Html();
        Layout(h, $"Compare · {repo.Name}", h =>
        {
            h.Raw("<h1>Compare versions</h1><p class=\"repo-name\">").Append(repo.Name).Raw("</p>");
            h.Raw("<form class=\"compare-form\" method=\"get\"").Attr("action", Urls.Compare(repo)).Raw(">");
            RefSelect(h, repo, "a", a?.Label ?? repo.Refs.ElementAtOrDefault(0)?.Label);
            h.Raw(" → ");
            RefSelect(h, repo, "b", b?.Label ?? repo.Refs.ElementAtOrDefault(1)?.Label);
            h.Raw(" <button type=\"submit\" id=\"compare\">Compare</button></form>");
            if (a is null || b is null || changes is null)
            {
                h.Tag("p", "Pick two refs.", "none");
                return;
            }
            foreach (var side in new[] { a, b })
                if (side.Status != RefStatus.Ready)
                    h.Tag("p", $"{side.Label} is {StatusText(side)}{(side.Error is null ? "" : ": " + side.Error)}", "error");
            h.Raw("<p class=\"summary\">").Append($"{a.Label} ({a.Version}) → {b.Label} ({b.Version}): "
                + string.Join(", ", new[] { ChangeKind.Added, ChangeKind.Removed, ChangeKind.Changed, ChangeKind.Unchanged }.Select(k => $"{changes.Count(c => c.Kind == k)} {k.ToString().ToLowerInvariant()}"))).Raw("</p>");
            h.Raw("<table class=\"diff\"><thead><tr><th>entrypoint</th><th>change</th><th>what</th><th>").Append(a.Label).Raw("</th><th>").Append(b.Label).Raw("</th></tr></thead><tbody>");
            foreach (var c in changes)
            {
                var kind = c.Kind.ToString().ToLowerInvariant();
                if (c.Changes.Count == 0)
                {
                    h.Raw("<tr").Attr("class", kind).Attr("data-entry", c.Name).Raw(">").Tag("td", c.Name, "name").Tag("td", kind, "kind")
                        .Tag("td", "").Tag("td", c.Before?.Signature, "before").Tag("td", c.After?.Signature, "after").Raw("</tr>");
                    continue;
                }
                foreach (var change in c.Changes)
                {
                    h.Raw("<tr").Attr("class", kind + " " + change.Aspect).Attr("data-entry", c.Name).Attr("data-aspect", change.Aspect).Raw(">")
                        .Tag("td", c.Name, "name").Tag("td", change.Aspect + " changed", "kind").Tag("td", change.What, "what")
                        .Tag("td", change.Before, "before").Tag("td", change.After, "after").Raw("</tr>");
                }
            }
            h.Raw("</tbody></table>");
        });
        return h.ToString();
    }

    private static void RefSelect(Html h, CatalogRepo repo, string name, string? selected)
    {
        h.Raw("<select").Attr("name", name).Attr("id", "ref-" + name).Attr("aria-label", name == "a" ? "from ref" : "to ref").Raw(">");
        foreach (var r in repo.Refs)
        {
            h.Raw("<option").Attr("value", r.Label);
            if (r.Label == selected) h.Raw(" selected");
            h.Raw(">").Append(r.Label).Raw("</option>");
        }
        h.Raw("</select>");
    }

    /// <summary>A Markdown file of a repo (one its README links to), rendered and sanitised as the README is.</summary>
    public string Document(CatalogRepo repo, RefState state, string path, string html)
    {
        var h = new Html();
        Layout(h, $"{path} · {repo.Name}", h =>
        {
            h.Raw("<p class=\"repo-name\">").Append(repo.Name).Raw(" ").Tag("span", state.Label, "ref current").Raw("</p>");
            h.Raw("<h1 class=\"document-path\">").Append(path).Raw("</h1>");
            h.Raw("<section class=\"readme\"><div class=\"markdown\" id=\"document\">").Raw(html).Raw("</div></section>");
        });
        return h.ToString();
    }

    public string NotFound(string what)
    {
        var h = new Html();
        Layout(h, "Not found", h => h.Raw("<h1>Not found</h1>").Tag("p", what));
        return h.ToString();
    }
}
