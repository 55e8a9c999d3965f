
namespace HubHost.Entrypoints;

/// <summary>One entrypoint of a hub repo: a public static method of its Hubconf class, with its help.</summary>
public sealed record EntrypointInfo
{
    /// <summary>The method name, used to load it.</summary>
    public required string Name { get; init; }

    /// <summary>C#-style signature with parameter types and defaults, e.g. <c>resnet18(bool pretrained = false) -> Module</c>.</summary>
    public required string Signature { get; init; }

    /// <summary>The doc comment's summary (empty when there is none).</summary>
    public required string Summary { get; init; }

    /// <summary>The parameters in order.</summary>
    public required IReadOnlyList<EntrypointParameter> Parameters { get; init; }

    /// <summary>The return type as written in C#.</summary>
    public required string ReturnType { get; init; }

    /// <summary>The doc comment's returns text, if any.</summary>
    public string? Returns { get; init; }

    /// <summary>The doc comment's remarks, if any.</summary>
    public string? Remarks { get; init; }

    /// <summary>The doc comment's examples.</summary>
    public IReadOnlyList<string> Examples { get; init; } = [];

    /// <summary>The type a caller outside the repo can ask <c>Hub.Load&lt;T&gt;</c> for; null when only <c>object</c> fits.</summary>
    internal CallResultType? Result { get; init; }

    /// <summary>Whether it returns nothing (void, or a Task without a result).</summary>
    internal bool ReturnsNothing { get; init; }

    /// <summary>
    /// The shortest C# that loads it from <paramref name="repo"/>, as it compiles in an app referencing HubHost: the usings
    /// it needs and one <c>Hub.Load&lt;T&gt;</c> line with only the arguments a user would set (<c>pretrained = true</c>
    /// for a model, a value for each parameter without a default), T the type the host can cast the result to.
    /// </summary>
    /// <param name="repo">The repo as the user writes it (<c>owner/name</c>, <c>./folder</c>, <c>nuget:Id</c>).</param>
    public string CSharpCall(string repo) => ShortestCall.CSharp(repo, this);

    /// <summary>The same call on the command line: <c>hubhost load REPO ENTRY --arg name=value …</c>.</summary>
    /// <param name="repo">The repo as the user writes it.</param>
    public string CliCall(string repo) => ShortestCall.Cli(repo, this);

    /// <summary>The whole help text: signature, summary, parameters, returns, remarks, examples.</summary>
    public string Help
    {
        get
        {
            var lines = new List<string> { Signature };
            if (Summary.Length > 0) lines.AddRange(["", Summary]);
            if (Parameters.Count > 0)
            {
                lines.AddRange(["", "Parameters:"]);
                var nameWidth = Parameters.Max(p => p.Name.Length);
                var typeWidth = Parameters.Max(p => p.Type.Length);
                var defaults = Parameters.Select(p => p.HasDefault ? "= " + p.DefaultValue : "required").ToList();
                var defaultWidth = defaults.Max(d => d.Length);
                for (int i = 0; i < Parameters.Count; i++)
                {
                    var p = Parameters[i];
                    lines.Add($"  {p.Name.PadRight(nameWidth)}  {p.Type.PadRight(typeWidth)}  {defaults[i].PadRight(defaultWidth)}  {p.Description}".TrimEnd());
                }
            }
            if (!string.IsNullOrEmpty(Returns)) lines.AddRange(["", $"Returns: {Returns}"]);
            if (!string.IsNullOrEmpty(Remarks)) lines.AddRange(["", "Remarks:", Indent(Remarks)]);
            foreach (var example in Examples) lines.AddRange(["", "Example:", Indent(example)]);
            return string.Join("\n", lines);
        }
    }

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(l => "  " + l));
}

/// <summary>One parameter of an entrypoint.</summary>
public sealed record EntrypointParameter
{
    internal EntrypointParameter(string Name, string Type, bool HasDefault, string? DefaultValue, string? Description)
    {
        this.Name = Name;
        this.Type = Type;
        this.HasDefault = HasDefault;
        this.DefaultValue = DefaultValue;
        this.Description = Description;
    }

    /// <summary>As declared in C#.</summary>
    public string Name { get; init; }

    /// <summary>The type as written in C#.</summary>
    public string Type { get; init; }

    /// <summary>Whether it may be left out.</summary>
    public bool HasDefault { get; init; }

    /// <summary>The default as C# would write it (null when required).</summary>
    public string? DefaultValue { get; init; }

    /// <summary>The doc comment's text for it.</summary>
    public string? Description { get; init; }
}
