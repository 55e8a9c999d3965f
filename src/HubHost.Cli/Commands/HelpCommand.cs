using System.CommandLine;
using System.Text.Json;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost help REPO ENTRY</c>: signature and doc comment (torch.hub.help), and the shortest call that loads it on
/// the command line and in C# (only the arguments a user would set, the repo as it was given).
/// </summary>
internal static class HelpCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var entry = RepoOptions.Entrypoint();
        var command = new Command("help", "Show an entrypoint's signature and documentation.") { repo, entry };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var given = parse.GetValue(repo)!.Trim();
            var opened = await app.Hub.OpenAsync(given, RepoOptions.LoadOptions(parse), token);
            var name = parse.GetValue(entry)!;
            var help = opened.Help(name);
            var info = opened.Entrypoints.First(e => help.StartsWith(e.Signature, StringComparison.Ordinal));
            var (cli, csharp) = (info.CliCall(given), info.CSharpCall(given));
            var json = JsonSerializer.SerializeToNode(info, JsonOptions)!.AsObject();
            json["cli"] = cli;
            json["csharp"] = csharp;
            app.Print(json, () => $"{help}\n\nLoad it:\n  {cli}\n\n{Indent(csharp)}");
            return 0;
        }, ct));
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(l => "  " + l));
}
