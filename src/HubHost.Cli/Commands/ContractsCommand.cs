using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost contracts</c>: writes the host's contract packages (HubHost.Contract) into the hub's local feed and
/// prints the feed folder, so a hub repo author's IDE can restore the same package the hub builds against.
/// </summary>
internal static class ContractsCommand
{
    public static Command Create(CliApp app)
    {
        var command = new Command("contracts", "Write the contract packages (HubHost.Contract) plugins build against into the hub's local NuGet feed and print its folder (for `dotnet nuget add source`).");
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var contracts = await app.Hub.WriteContractFeedAsync(token);
            var feed = contracts.Folder;
            var packages = contracts.Packages.Select(p => new { id = p.Id, version = p.Version }).ToList();
            app.Print(new { feed, packages },
                () => $"{feed}\n{string.Join("\n", packages.Select(p => $"  {p.id} {p.version}"))}\nTo restore them in an IDE: dotnet nuget add source {feed} --name hubhost-contracts");
            return 0;
        }, ct));
        return command;
    }
}
