using System.Reflection;
using Newtonsoft.Json;

namespace JsonSample;

/// <summary>Serialises with Newtonsoft.Json 13 (this repo's own copy).</summary>
public static class Hubconf
{
    /// <summary>Which Newtonsoft.Json this repo sees, and a value serialised with it.</summary>
    public static string describe()
        => $"json-v13 uses Newtonsoft.Json {typeof(JsonConvert).Assembly.GetName().Version} -> {JsonConvert.SerializeObject(new { flavour = "thirteen", indented = true }, Formatting.None)}";

    /// <summary>The assembly version of the Newtonsoft.Json this repo loaded.</summary>
    public static string newtonsoft_version() => typeof(JsonConvert).Assembly.GetName().Version!.ToString();

    /// <summary>Where this repo's code runs: its assembly's load context.</summary>
    public static string context() => System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(Assembly.GetExecutingAssembly())!.Name!;
}
