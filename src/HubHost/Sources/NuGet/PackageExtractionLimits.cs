using System.Globalization;

namespace HubHost.Sources.NuGet;

/// <summary>
/// How far a .nupkg may expand when the hub extracts it, so a decompression bomb (a 1 MB zip of zeros that becomes
/// gigabytes) is refused before it fills the disk. A package may expand to <see cref="MaxBytes"/> in total and, beyond
/// <see cref="RatioFloorBytes"/>, to at most <see cref="MaxRatio"/> times the size of its .nupkg. The bytes written are
/// counted, not the sizes the zip declares.
/// </summary>
/// <param name="MaxBytes">The most a package may expand to.</param>
/// <param name="RatioFloorBytes">Below this, the ratio is not checked (small text-heavy packages compress well).</param>
/// <param name="MaxRatio">Beyond <paramref name="RatioFloorBytes"/>, the most a package may expand per byte of .nupkg.</param>
internal sealed record PackageExtractionLimits(long MaxBytes, long RatioFloorBytes, int MaxRatio)
{
    /// <summary>
    /// 8 GiB in total; past 256 MiB, 100 times the .nupkg. Measured on real packages (every .nupkg in this machine's
    /// NuGet cache): the largest expands to 609 MB (Microsoft.Playwright; libtorch-cpu-linux-x64 498 MB), the highest
    /// whole-package ratio is 7.8 (System.Diagnostics.EventLog; Newtonsoft.Json 4.3, SkiaSharp 5.5, the SkiaSharp
    /// natives 2.2-2.3). Feeds cap a package at 250 MB (nuget.org) to 500 MB (Azure Artifacts), so at a ratio of 8 a
    /// real package stays under 4 GiB; weights compress barely at all (about 1.1). A bomb's ratio is in the hundreds
    /// to a thousand (deflate's limit is ~1032).
    /// </summary>
    public static PackageExtractionLimits Default { get; } = new(8L << 30, 256L << 20, 100);

    /// <summary>The most a package of <paramref name="packageBytes"/> bytes may expand to.</summary>
    public long AllowedFor(long packageBytes)
        => Math.Min(MaxBytes, Math.Max(RatioFloorBytes, packageBytes > long.MaxValue / MaxRatio ? long.MaxValue : packageBytes * MaxRatio));

    /// <summary>What the limits are, for a message.</summary>
    public string Describe(long packageBytes)
        => $"a package may expand to {Size(MaxBytes)} in total, and beyond {Size(RatioFloorBytes)} to at most {MaxRatio} times the size of its .nupkg ({Size(packageBytes)} here)";

    /// <summary>A size in B, KiB, MiB or GiB, with at most one decimal.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
