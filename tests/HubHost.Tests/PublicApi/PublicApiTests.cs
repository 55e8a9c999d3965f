using System.Reflection;
using PublicApiGenerator;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.PublicApi;

/// <summary>
/// The public API is checked in (Serilog-style): a change to it shows up as a diff of the approved file.
/// To accept a change, copy the .received.txt written next to the approved file over it.
/// </summary>
public sealed class PublicApiTests
{
    [Theory]
    [InlineData("HubHost")]
    [InlineData("HubHost.Contract")]
    [InlineData("HubHost.Serve")]
    [InlineData("HubHost.Hosting")]
    [InlineData("HubHost.Checkpoints")]
    public void Public_api_matches_the_approved_file(string assemblyName)
    {
        var assembly = assemblyName switch
        {
            "HubHost" => typeof(HubClient).Assembly,
            "HubHost.Contract" => typeof(HubHost.Contract.IHubServices).Assembly,
            "HubHost.Serve" => typeof(HubHost.Serve.ServeHost).Assembly,
            "HubHost.Hosting" => typeof(HubHost.Hosting.HubEntrypointOptions).Assembly,
            "HubHost.Checkpoints" => typeof(HubHost.Checkpoints.Checkpoint).Assembly,
            _ => throw new ArgumentOutOfRangeException(nameof(assemblyName)),
        };
        var actual = Describe(assembly);
        var approved = Path.Combine(RepoPaths.Root, "tests", "HubHost.Tests", "PublicApi", assemblyName + ".approved.txt");
        var received = Path.ChangeExtension(approved, null).Replace(".approved", ".received") + ".txt";
        var expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : "";
        if (expected != actual) File.WriteAllText(received, actual);
        else if (File.Exists(received)) File.Delete(received);
        Assert.True(expected == actual, $"The public API of {assemblyName} changed; see {received} (copy it over {approved} to accept).");
    }

    /// <summary>
    /// The public API as C# declarations, from PublicApiGenerator (a maintained generator: nullability, default values and
    /// generic constraints as the compiler sees them). Types outside the assembly's own namespaces are included where the
    /// assembly puts them on purpose (Microsoft.Extensions.DependencyInjection's <c>AddHubHost</c>).
    /// </summary>
    internal static string Describe(Assembly assembly)
        => assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            AllowNamespacePrefixes = ["Microsoft.Extensions.DependencyInjection"],
            ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"],
        }).ReplaceLineEndings("\n") + "\n";
}
