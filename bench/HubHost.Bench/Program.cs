using System.Reflection;

namespace HubHost.Bench;

/// <summary>One benchmark: measures HubHost and, where there is one, its peer in the same run, and prints figures.</summary>
internal interface IBenchmark
{
    /// <summary>The name given on the command line.</summary>
    string Name { get; }

    /// <summary>One line on what is measured.</summary>
    string Description { get; }

    Task RunAsync(string[] args);
}

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var all = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        var chosen = all.FirstOrDefault(b => args.Length > 0 && b.Name == args[0]);
        if (chosen is null)
        {
            Console.Error.WriteLine("usage: dotnet run -c Release --project bench/HubHost.Bench -- NAME [args]");
            foreach (var b in all) Console.Error.WriteLine($"  {b.Name,-14} {b.Description}");
            return 2;
        }
        await chosen.RunAsync(args[1..]);
        return 0;
    }
}
