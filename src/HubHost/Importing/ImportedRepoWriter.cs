using HubHost.Entrypoints;
using HubHost.Storage;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using HubHost.Sources;

namespace HubHost.Importing;

/// <summary>
/// Writes the files of an imported HubHost repo from its <see cref="ImportManifest"/>: <c>Hubconf.cs</c> (one entrypoint
/// per imported model, its doc comment from the Python docstring plus provenance), <c>ImportedModules.cs</c> (when a
/// model returns a dictionary), <c>hubconf.catalog.json</c> (merged: task, category, example input), the import's
/// section of <c>README.md</c>, the manifest itself, and <c>hubconf.csproj</c> when the folder has none. Files the
/// import does not own (a hand-written part of the Hubconf class, a vocabulary, the rest of the README) are left alone.
/// </summary>
internal static class ImportedRepoWriter
{
    public const string HubconfFile = "Hubconf.cs";

    public const string ModulesFile = "ImportedModules.cs";

    public const string ReadmeFile = "README.md";

    public const string SamplesFolder = "samples";

    private const string ReadmeBegin = "<!-- hubhost import: begin (this section is rewritten by every import into this folder) -->";

    private const string ReadmeEnd = "<!-- hubhost import: end -->";

    private static readonly HashSet<string> CSharpKeywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>Whether a Python entrypoint name can be a C# method name (keywords get an <c>@</c>).</summary>
    public static bool IsValidName(string name)
        => name.Length > 0 && !name.StartsWith('_') && (char.IsAsciiLetter(name[0])) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The entrypoint's C# return type.</summary>
    public static string ReturnType(ImportedModel model)
    {
        if (model.OutputKind == "dict") return model.Inputs.Count == 1 ? "NamedOutputs" : "NamedOutputsOfMany";
        return model.Inputs.Count == 1 ? $"jit.ScriptModule<Tensor, {ScriptResult(model)}>" : $"jit.ScriptModule<{ScriptResult(model)}>";
    }

    /// <summary>What TorchSharp's script module returns for the model's output (dictionaries come as a list).</summary>
    private static string ScriptResult(ImportedModel model) => model.OutputKind switch
    {
        "tensor" => "Tensor",
        "tuple" when model.Outputs.Count == 1 => "Tensor",
        "tuple" when model.Outputs.Count <= 5 => "(" + string.Join(", ", model.Outputs.Select(_ => "Tensor")) + ")",
        _ => "Tensor[]", // a list, a dictionary's values, a tuple of more than 5 (TorchSharp returns those as an array)
    };

    /// <summary>The csproj of an imported repo: TorchSharp and the contract, at the host's versions.</summary>
    public static string Project(string torchSharpVersion, string contractVersion) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- A HubHost hub repo written by `hubhost import` (PyTorch models exported to TorchScript). The hub builds this
               project and calls the public static methods of Hubconf; TorchSharp and HubHost.Contract come from the host at
               run time. Add PackageReferences and files freely: a later import into this folder keeps them. -->
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <GenerateDocumentationFile>true</GenerateDocumentationFile>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="TorchSharp" Version="{torchSharpVersion}" />
            <PackageReference Include="HubHost.Contract" Version="{contractVersion}" />
          </ItemGroup>
        </Project>

        """;

    /// <summary>Hubconf.cs: one entrypoint per imported model.</summary>
    public static string Hubconf(ImportManifest manifest)
    {
        var s = new StringBuilder();
        s.Append("""
            // Written by `hubhost import` from hubconf.import.json; rewritten by every import into this folder, so do not edit it:
            // add entrypoints of your own in another file, as more of the partial class Hubconf.
            using HubHost.Contract;
            using TorchSharp;
            using static TorchSharp.torch;

            /// <summary>The repo's entrypoints: PyTorch models imported from a Python torch.hub repo as TorchScript archives.</summary>
            public static partial class Hubconf
            {

            """);
        var first = true;
        foreach (var model in manifest.Entrypoints.Values)
        {
            if (!first) s.Append('\n');
            first = false;
            AppendEntrypoint(s, model);
        }
        s.Append("}\n");
        return s.ToString();
    }

    private static void AppendEntrypoint(StringBuilder s, ImportedModel model)
    {
        var (summary, rest) = SplitDocstring(model.Doc);
        s.Append("    /// <summary>").Append(Xml(summary.Length > 0 ? summary : $"{model.Name}, imported from PyTorch.")).Append("</summary>\n");
        s.Append("    /// <remarks>\n");
        foreach (var paragraph in rest)
        {
            s.Append("    /// <para>\n");
            foreach (var line in paragraph) s.Append("    /// ").Append(Xml(line)).Append('\n');
            s.Append("    /// </para>\n");
        }
        s.Append("    /// <para>").Append(Xml(Provenance(model))).Append("</para>\n");
        s.Append("    /// </remarks>\n");
        s.Append("    /// <returns>").Append(Xml(Returns(model))).Append("</returns>\n");
        var method = CSharpKeywords.Contains(model.Name) ? "@" + model.Name : model.Name;
        var result = model.OutputKind == "dict" ? "Tensor[]" : ScriptResult(model);
        var typeArguments = model.Inputs.Count == 1 ? $"Tensor, {result}" : result;
        var load = model.Url is { } url
            ? $"HubServices.For(typeof(Hubconf)).LoadScriptFromUrl<{typeArguments}>({Literal(url)})"
            : $"HubServices.For(typeof(Hubconf)).LoadScript<{typeArguments}>({Literal(model.Archive)})";
        s.Append("    public static ").Append(ReturnType(model)).Append(' ').Append(method).Append("()\n");
        if (model.OutputKind == "dict")
        {
            var keys = string.Join(", ", model.Outputs.Select(o => Literal(o.Key)));
            s.Append("        => new(").Append(Literal(model.Name)).Append(", ").Append(load).Append(", [").Append(keys).Append("]);\n");
        }
        else
        {
            s.Append("        => ").Append(load).Append(";\n");
        }
    }

    /// <summary>Where the model came from and how it was exported: the line the doc comment ends with.</summary>
    public static string Provenance(ImportedModel model)
    {
        var call = $"torch.hub.load(repo, '{model.Name}', source='local'{string.Concat(model.Kwargs.Select(kv => $", {kv.Key}={kv.Value}"))})";
        var how = model.Method == "script"
            ? "scripted with torch.jit.script"
            : $"traced with torch.jit.trace on the example input, because torch.jit.script failed ({model.ScriptError?.TrimEnd(':', '.')}); a traced model follows the path the example input took, so inputs that take other branches may not run as in Python";
        return $"Imported by hubhost import from {model.Source}{(model.Commit is null ? "" : $" at commit {model.Commit}")}: {call} with torch {model.Torch} " +
               $"(Python {model.Python}), {how}. Example input {string.Join(" and ", model.Inputs.Select(Describe))}. " +
               $"HubHost reproduced PyTorch's output on it within a relative difference of {model.MaxRelativeDifference.ToString("G3", CultureInfo.InvariantCulture)} " +
               $"({model.Parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters; archive {model.Archive}, SHA-256 {model.Sha256[..16]}…{(model.Url is null ? "" : $", published at {model.Url}")}).";
    }

    private static string Returns(ImportedModel model)
    {
        var outputs = model.OutputKind switch
        {
            "tensor" => $"returning {Describe(model.Outputs[0])}",
            "dict" => $"returning a dictionary of {string.Join(", ", model.Outputs.Select(o => $"{o.Key} {Describe(o)}"))} (in this order; the archive returns the values as a list, NamedOutputs gives them their names back)",
            _ => $"returning a {model.OutputKind} of {string.Join(", ", model.Outputs.Select(Describe))}",
        };
        return $"A TorchScript module in eval mode taking {string.Join(" and ", model.Inputs.Select(Describe))} (for the example input), {outputs}.";
    }

    private static string Describe(TensorFile t) => $"[{string.Join(", ", t.Shape)}] {t.Dtype}";

    /// <summary>ImportedModules.cs: the module that gives a dictionary output its names back.</summary>
    public const string Modules = """
        // Written by `hubhost import`; rewritten by every import into this folder.
        using TorchSharp;
        using static TorchSharp.torch;

        /// <summary>
        /// A TorchScript model whose Python forward returns a dictionary of tensors (such as a segmentation model's
        /// <c>out</c> and <c>aux</c>). TorchSharp's script modules return no dictionaries, so the archive returns the values
        /// as a list in the order of <see cref="Keys"/>, and this module gives them their names back, in that order.
        /// </summary>
        public sealed class NamedOutputs : nn.Module<Tensor, Dictionary<string, Tensor>>
        {
            private readonly jit.ScriptModule<Tensor, Tensor[]> model;
            private readonly string modelName;

            /// <summary>Wraps <paramref name="model"/>, whose outputs are named <paramref name="keys"/>, in order.</summary>
            /// <param name="name">The module's name.</param>
            /// <param name="model">The archive, returning the dictionary's values as a list.</param>
            /// <param name="keys">The dictionary's keys, in the order of the list.</param>
            public NamedOutputs(string name, jit.ScriptModule<Tensor, Tensor[]> model, string[] keys) : base(name)
            {
                this.model = model;
                modelName = name;
                Keys = keys;
                RegisterComponents();
            }

            /// <summary>The output names, in the dictionary's order.</summary>
            public IReadOnlyList<string> Keys { get; }

            /// <summary>Runs the model and names its outputs.</summary>
            /// <param name="input">The model's input.</param>
            public override Dictionary<string, Tensor> forward(Tensor input) => OutputNames.Name(modelName, Keys, model.forward(input));

            /// <summary>The submodules, listed at once: Dispose walks them while it disposes them, and a disposed script module cannot list its own.</summary>
            public override IEnumerable<(string name, nn.Module module)> named_modules() => base.named_modules().ToList();
        }

        /// <summary><see cref="NamedOutputs"/> for a model taking several tensors.</summary>
        public sealed class NamedOutputsOfMany : nn.Module<Tensor[], Dictionary<string, Tensor>>
        {
            private readonly jit.ScriptModule<Tensor[]> model;
            private readonly string modelName;

            /// <summary>Wraps <paramref name="model"/>, whose outputs are named <paramref name="keys"/>, in order.</summary>
            /// <param name="name">The module's name.</param>
            /// <param name="model">The archive, returning the dictionary's values as a list.</param>
            /// <param name="keys">The dictionary's keys, in the order of the list.</param>
            public NamedOutputsOfMany(string name, jit.ScriptModule<Tensor[]> model, string[] keys) : base(name)
            {
                this.model = model;
                modelName = name;
                Keys = keys;
                RegisterComponents();
            }

            /// <summary>The output names, in the dictionary's order.</summary>
            public IReadOnlyList<string> Keys { get; }

            /// <summary>Runs the model and names its outputs.</summary>
            /// <param name="inputs">The model's inputs, in the order of its forward's arguments.</param>
            public override Dictionary<string, Tensor> forward(Tensor[] inputs) => OutputNames.Name(modelName, Keys, model.forward(inputs));

            /// <summary>The submodules, listed at once: Dispose walks them while it disposes them, and a disposed script module cannot list its own.</summary>
            public override IEnumerable<(string name, nn.Module module)> named_modules() => base.named_modules().ToList();
        }

        internal static class OutputNames
        {
            public static Dictionary<string, Tensor> Name(string model, IReadOnlyList<string> keys, Tensor[] values)
            {
                if (values.Length != keys.Count)
                {
                    foreach (var v in values) v.Dispose();
                    throw new InvalidOperationException($"{model} returned {values.Length} outputs where its archive was exported with {keys.Count} ({string.Join(", ", keys)}).");
                }
                var named = new Dictionary<string, Tensor>(keys.Count);
                for (var i = 0; i < keys.Count; i++) named[keys[i]] = values[i];
                return named;
            }
        }

        """;

    /// <summary>The README: a new one, or the old one with the import's section replaced (or appended).</summary>
    public static string Readme(string? existing, string title, ImportManifest manifest, string command)
    {
        var s = new StringBuilder();
        s.Append(ReadmeBegin).Append('\n');
        s.Append("## Entrypoints imported from PyTorch\n\n");
        s.Append("Exported to TorchScript by PyTorch itself with `hubhost import`, and checked: HubHost loaded this folder and reproduced PyTorch's ");
        s.Append("output for the example input (`samples/`) within the relative difference shown.\n\n");
        s.Append("| entrypoint | from | exported | input | returns | parity |\n|---|---|---|---|---|---|\n");
        foreach (var m in manifest.Entrypoints.Values)
        {
            var from = m.Source + (m.Commit is null ? "" : $"@{m.Commit[..Math.Min(12, m.Commit.Length)]}");
            var exported = m.Method == "script" ? "torch.jit.script" : "torch.jit.trace";
            var returns = m.OutputKind == "dict" ? "dict " + string.Join(", ", m.Outputs.Select(o => $"`{o.Key}` {Describe(o)}")) : string.Join(", ", m.Outputs.Select(Describe));
            s.Append(CultureInfo.InvariantCulture, $"| `{m.Name}` | {Cell(from)} (torch {m.Torch}) | {exported} | {Cell(string.Join(", ", m.Inputs.Select(Describe)))} | {Cell(returns)} | {m.MaxRelativeDifference:G3} |\n");
        }
        s.Append("\n```sh\n");
        foreach (var m in manifest.Entrypoints.Values)
            s.Append("hubhost run ./").Append(title).Append(' ').Append(m.Name).Append(string.Concat(m.Inputs.Select(i => $" --input {title}/{i.File}"))).Append('\n');
        s.Append("```\n\nImported with:\n\n```sh\n").Append(command).Append("\n```\n");
        s.Append(ReadmeEnd).Append('\n');
        var section = s.ToString();
        if (existing is null)
            return $"# {title}\n\nA HubHost hub repo of PyTorch models. `hubhost list ./{title}` shows its entrypoints, `hubhost help ./{title} ENTRY` their documentation.\n\n{section}";
        var begin = existing.IndexOf(ReadmeBegin, StringComparison.Ordinal);
        var end = existing.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        if (begin >= 0 && end > begin)
            return existing[..begin] + section + existing[(end + ReadmeEnd.Length)..].TrimStart('\n');
        return existing.TrimEnd() + "\n\n" + section;
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>hubconf.catalog.json with the imported entrypoints' cards set and everything else kept.</summary>
    public static string Catalog(string? existing, IEnumerable<ImportedModel> models)
    {
        JsonObject root;
        try
        {
            root = existing is null ? [] : JsonNode.Parse(existing, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new HubException($"{EntrypointCard.FileName} of the folder is not a JSON object; fix or remove it, then import again.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new HubException($"{EntrypointCard.FileName} of the folder is not valid JSON ({e.Message}); fix or remove it, then import again.", e);
        }
        if (root["entrypoints"] is not JsonObject entries)
        {
            entries = [];
            root["entrypoints"] = entries;
        }
        foreach (var m in models)
        {
            var card = entries[m.Name] as JsonObject ?? [];
            if (m.Category is not null) card["category"] = m.Category;
            if (m.Task is not null) card["task"] = m.Task;
            var tags = card["tags"] as JsonArray ?? [];
            foreach (var tag in new[] { "pytorch", "torchscript", m.Task }.OfType<string>())
                if (!tags.Any(t => t?.GetValue<string>() == tag)) tags.Add(tag);
            card["tags"] = tags;
            var input = m.Inputs[0];
            card["input"] = new JsonObject
            {
                ["shape"] = new JsonArray(input.Shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["dtype"] = input.Dtype,
                ["file"] = input.File,
            };
            entries[m.Name] = card;
        }
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The card's task guessed from the shapes, when the user gave none: what <c>hubhost run</c> shows.</summary>
    public static string? GuessTask(ImportedModel model)
    {
        var input = model.Inputs[0];
        var output = model.Outputs[0];
        if (input.Dtype is "int64" or "int32") return "text";
        if (!output.Dtype.StartsWith("float", StringComparison.Ordinal)) return null;
        var i = input.Shape;
        var o = output.Shape;
        if (o.Count == 2 && o[1] >= 2) return "classification";
        if (o.Count == 4 && i.Count == 4 && o[1] is 1 or 3 && i[2] == 1 && i[3] == 1) return "generation";
        if (o.Count == 4 && i.Count == 4 && o[1] >= 2 && o[2] == i[2] && o[3] == i[3]) return "segmentation";
        return null;
    }

    /// <summary>The card's category for a task.</summary>
    public static string? CategoryOf(string? task) => task switch
    {
        "classification" => "Vision",
        "segmentation" => "Segmentation",
        "generation" => "Generative",
        "text" => "Text",
        _ => null,
    };

    /// <summary>The docstring's first paragraph as one line, and the other paragraphs' lines.</summary>
    private static (string Summary, List<List<string>> Paragraphs) SplitDocstring(string doc)
    {
        var paragraphs = new List<List<string>>();
        var current = new List<string>();
        foreach (var raw in doc.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0)
            {
                if (current.Count > 0) paragraphs.Add(current);
                current = [];
            }
            else
            {
                current.Add(line);
            }
        }
        if (current.Count > 0) paragraphs.Add(current);
        if (paragraphs.Count == 0) return ("", []);
        var summary = string.Join(' ', paragraphs[0].Select(l => l.Trim()));
        return (summary, paragraphs.Skip(1).ToList());
    }

    private static string Xml(string text)
        => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Literal(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Whether the folder has the project file the import writes when it makes a repo.</summary>
    public static bool HasProject(string directory) => File.Exists(Path.Combine(directory, HubRepoLayout.ProjectFileName));
}
