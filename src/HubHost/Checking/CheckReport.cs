namespace HubHost.Checking;

/// <summary>How <see cref="HubClient.CheckAsync"/> checks a repo (<c>hubhost check</c>).</summary>
public sealed record CheckOptions
{
    /// <summary>Also call each entrypoint that has <c>pretrained</c> (or torchvision's <c>weights</c>) with its pretrained weights: they load, their URLs are reachable and hash-named, and the files match their hashes.</summary>
    public bool Pretrained { get; init; }

    /// <summary>
    /// A folder of golden outputs, <c>NAME.npy</c> per entrypoint: the output of NAME's model (with its pretrained weights
    /// when it has them) on its example input, which the check compares with what the model gives now, as
    /// <c>torch.allclose(output, golden, rtol=1e-4, atol=1e-5)</c> would; null for none.
    /// </summary>
    public string? GoldenDirectory { get; init; }

    /// <summary>How the repo is resolved (force reload, trust).</summary>
    public HubLoadOptions? Load { get; init; }
}

/// <summary>What <see cref="HubClient.CheckAsync"/> found: the repo is ready when <see cref="Passed"/>.</summary>
public sealed record CheckReport
{
    /// <summary>The repo as it was given.</summary>
    public required string Repo { get; init; }

    /// <summary>The version checked (a commit or content hash prefix); null when it did not build.</summary>
    public string? Version { get; init; }

    /// <summary>Each entrypoint and what was checked of it.</summary>
    public required IReadOnlyList<CheckedEntrypoint> Entrypoints { get; init; }

    /// <summary>Every problem, one line each, naming the entrypoint (or file), the rule and the fix.</summary>
    public required IReadOnlyList<CheckFinding> Findings { get; init; }

    /// <summary>Whether no finding is an error (warnings do not fail a check).</summary>
    public bool Passed => Findings.All(f => f.Level != CheckLevel.Error);
}

/// <summary>One entrypoint as the check saw it.</summary>
public sealed record CheckedEntrypoint
{
    internal CheckedEntrypoint(string Name, bool Passed, IReadOnlyList<string> Checked)
    {
        this.Name = Name;
        this.Passed = Passed;
        this.Checked = Checked;
    }

    /// <summary>The entrypoint.</summary>
    public string Name { get; init; }

    /// <summary>Whether no error names it.</summary>
    public bool Passed { get; init; }

    /// <summary>What was checked and held (<c>defaults</c>, <c>pretrained</c>, <c>example input [1, 3, 224, 224] -> [1, 1000]</c>, <c>golden</c>).</summary>
    public IReadOnlyList<string> Checked { get; init; }
}

/// <summary>How bad a finding is.</summary>
public enum CheckLevel
{
    /// <summary>The repo is not ready: the check fails.</summary>
    Error,

    /// <summary>Worth fixing; the check still passes.</summary>
    Warning,
}

/// <summary>One problem the check found.</summary>
public sealed record CheckFinding
{
    internal CheckFinding(string Subject, string Rule, string Problem, string Fix, CheckLevel Level = CheckLevel.Error)
    {
        this.Subject = Subject;
        this.Rule = Rule;
        this.Problem = Problem;
        this.Fix = Fix;
        this.Level = Level;
    }

    /// <summary>The entrypoint it is about, or the file (<c>hubconf.catalog.json</c>, <c>README.md</c>, <c>Hubconf</c>).</summary>
    public string Subject { get; init; }

    /// <summary>The rule it breaks: build, readme, catalog, entrypoints, summary, parameter-doc, helper, defaults, call, returns, training-mode, example-input, pretrained, weights, golden.</summary>
    public string Rule { get; init; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; init; }

    /// <summary>What to do.</summary>
    public string Fix { get; init; }

    /// <summary>Error (fails the check) or warning.</summary>
    public CheckLevel Level { get; init; }

    /// <summary>The finding on one line: <c>SUBJECT: RULE: problem Fix: what to do</c> (warnings marked).</summary>
    public override string ToString()
        => OneLine($"{Subject}: {Rule}{(Level == CheckLevel.Warning ? " (warning)" : "")}: {Problem.TrimEnd()} Fix: {Fix}");

    private static string OneLine(string text) => string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).Where(s => s.Length > 0));
}
