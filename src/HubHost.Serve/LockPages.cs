namespace HubHost.Serve;

/// <summary><c>/locks</c>: lock files side by side — what each pins, and what changed from one to the next.</summary>
internal sealed partial class Pages
{
    public string Locks(IReadOnlyList<HubLock> locks)
    {
        var h = new Html();
        Layout(h, "Locks · " + title, body =>
        {
            body.Raw("<h1>Locks</h1>");
            for (var i = 1; i < locks.Count; i++)
            {
                var changes = HubLock.Compare(locks[i - 1], locks[i]);
                body.Raw("<section class=\"lock-compare\"><h2>").Append(Name(locks[i - 1])).Raw(" → ").Append(Name(locks[i])).Raw("</h2>");
                if (changes.Same)
                {
                    body.Tag("p", "They pin the same commits, packages and weights.", "same");
                }
                else
                {
                    body.Raw("<table><thead><tr><th>repo</th><th>what</th><th>which</th><th>before</th><th>after</th></tr></thead><tbody>");
                    foreach (var c in changes.Changes)
                    {
                        body.Raw("<tr").Attr("data-aspect", c.Aspect).Raw(">").Tag("td", c.Repo).Tag("td", c.Aspect).Tag("td", c.Item == c.Repo ? "" : c.Item)
                            .Tag("td", c.Before ?? "(none)").Tag("td", c.After ?? "(none)").Raw("</tr>");
                    }
                    body.Raw("</tbody></table>");
                }
                body.Raw("</section>");
            }
            foreach (var hubLock in locks)
            {
                body.Raw("<section class=\"lock\"><h2>").Append(Name(hubLock)).Raw("</h2>");
                body.Tag("p", $"written by hubhost {hubLock.Host.HubHost} (HubHost.Contract {hubLock.Host.Contract}, TorchSharp {hubLock.Host.TorchSharp}, {hubLock.Host.Runtime})", "meta");
                body.Raw("<table><thead><tr><th>repo</th><th>version</th><th>packages</th><th>weights</th></tr></thead><tbody>");
                foreach (var r in hubLock.Repos)
                {
                    body.Raw("<tr>").Tag("td", r.Repo).Raw("<td>").Tag("code", r.Source.Describe()).Raw("</td>")
                        .Tag("td", string.Join(", ", r.Packages.Select(p => $"{p.Id} {p.Version}")))
                        .Raw("<td>");
                    foreach (var w in r.Weights) body.Raw("<div>").Append(w.Url).Raw(" <code>").Append(w.Sha256[..16]).Raw("…</code></div>");
                    body.Raw("</td></tr>");
                }
                body.Raw("</tbody></table></section>");
            }
        });
        return h.ToString();
    }

    private static string Name(HubLock hubLock) => hubLock.FilePath is { } path ? Path.GetFileName(path) : "lock";
}

/// <summary>The JSON of <c>/api/locks</c>.</summary>
internal static partial class Api
{
    public static object Locks(IReadOnlyList<HubLock> locks) => new
    {
        locks = locks.Select(l => new
        {
            path = l.FilePath,
            host = l.Host,
            repos = l.Repos.Select(r => new { r.Repo, source = r.Source, builtAgainst = r.BuiltAgainst, packages = r.Packages, calls = r.Calls.Select(c => c.ToString()), weights = r.Weights }),
        }),
        comparisons = Enumerable.Range(1, Math.Max(0, locks.Count - 1)).Select(i =>
        {
            var changes = HubLock.Compare(locks[i - 1], locks[i]);
            return new { a = locks[i - 1].FilePath, b = locks[i].FilePath, same = changes.Same, changes = changes.Changes };
        }),
    };
}
