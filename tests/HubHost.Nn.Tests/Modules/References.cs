using System.Runtime.InteropServices;
using System.Text.Json;

namespace HubHost.Nn.Tests.Modules;

/// <summary>
/// Reads the PyTorch references written by tests/fixtures/nn/make_references.py: a JSON manifest of cases
/// (settings + tensors as shape/offset into a float32 little-endian .bin).
/// </summary>
internal sealed class References
{
    private static readonly Lazy<References> LayersLazy = new(() => new References("layers"));
    private static readonly Lazy<References> ModelsLazy = new(() => new References("models"));

    private readonly float[] _data;

    private References(string name)
    {
        string dir = Path.Combine(RepoRoot, "tests", "fixtures", "nn");
        Json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json"))).RootElement;
        _data = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, name + ".bin"))).ToArray();
    }

    public static References Layers => LayersLazy.Value;

    public static References Models => ModelsLazy.Value;

    public JsonElement Json { get; }

    public static string RepoRoot { get; } = FindRoot();

    public JsonElement Case(string name) => Json.GetProperty("cases").GetProperty(name);

    public JsonElement Settings(string caseName) => Case(caseName).GetProperty("settings");

    public Tensor Tensor(string caseName, string tensorName) => Read(Case(caseName).GetProperty("tensors").GetProperty(tensorName));

    public Tensor Read(JsonElement entry)
    {
        var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int offset = entry.GetProperty("offset").GetInt32();
        return HubHost.Nn.Tensor.FromArray(_data.AsSpan(offset, (int)count).ToArray(), shape);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HubHost.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (HubHost.sln) not found above the test assembly.");
    }
}

internal static class TensorAssert
{
    /// <summary>Same shape and |actual - expected| &lt;= atol + rtol·|expected| everywhere.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol = 1e-4, double rtol = 1e-4)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray();
        var a = actual.ToArray();
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < e.Length; i++)
        {
            double excess = Math.Abs(a[i] - e[i]) - (atol + rtol * Math.Abs(e[i]));
            if (double.IsNaN(a[i]) != double.IsNaN(e[i])) excess = double.PositiveInfinity;
            if (excess > worst)
            {
                worst = excess;
                worstAt = i;
            }
        }
        Assert.True(worstAt < 0, worstAt < 0 ? "" : $"element {worstAt}: expected {e[worstAt]}, got {a[worstAt]} (shape {actual})");
    }
}
