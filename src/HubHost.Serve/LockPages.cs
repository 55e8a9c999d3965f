using HubHost.Locking;

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

/// <summary>The JSON of <c>/api/locks</c> (camelCase, as the rest of /api).</summary>
internal static partial class Api
{
    public static object Locks(IReadOnlyList<HubLock> locks) => new
    {
        locks = locks.Select(l => new
        {
            path = l.FilePath,
            host = new { hubHost = l.Host.HubHost, contract = l.Host.Contract, torchSharp = l.Host.TorchSharp, runtime = l.Host.Runtime },
            repos = l.Repos.Select(r => new
            {
                repo = r.Repo,
                source = new
                {
                    kind = r.Source.Kind, url = r.Source.Url, @ref = r.Source.Ref, commit = r.Source.Commit, id = r.Source.Id, version = r.Source.Version,
                    sha512 = r.Source.Sha512, path = r.Source.Path, contentKey = r.Source.ContentKey,
                },
                builtAgainst = r.BuiltAgainst,
                packages = r.Packages.Select(p => new { id = p.Id, version = p.Version, sha512 = p.Sha512 }),
                calls = r.Calls.Select(c => c.ToString()),
                weights = r.Weights.Select(w => new { url = w.Url, sha256 = w.Sha256, size = w.Size, fileName = w.FileName, commit = w.Commit }),
            }),
        }),
        comparisons = Enumerable.Range(1, Math.Max(0, locks.Count - 1)).Select(i =>
        {
            var changes = HubLock.Compare(locks[i - 1], locks[i]);
            return new
            {
                a = locks[i - 1].FilePath, b = locks[i].FilePath, same = changes.Same,
                changes = changes.Changes.Select(c => new { repo = c.Repo, aspect = c.Aspect, item = c.Item, before = c.Before, after = c.After }),
            };
        }),
    };
}
