using System.Buffers.Binary;
using System.Text;
using HubHost.Checkpoints;
using HubHost.Tests.Infrastructure;
using static TorchSharp.torch;

namespace HubHost.Tests.Cli;

/// <summary>
/// Issue 21, items 3, 11, 13 and 15: inputs that used to end in "unexpected … please report it", a native stack, a
/// hang or a silently wrong result. Each is now one <c>error:</c> line (exactly one, no stack trace) or, where the run is
/// right but suspicious, a warning; checks that can be made before a model runs are made before it runs (a fresh hub
/// directory shows that nothing was built).
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class ErrorLineTests(SharedHub hub)
{
    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    /// <summary>The one error line of a failed run, with no stack trace and no "unexpected".</summary>
    private static string OneError(CliRunner.Result result)
    {
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        var lines = result.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("frame #", result.Stderr);
        Assert.DoesNotContain("unexpected", lines[0]);
        Assert.DoesNotContain("please report", result.Stderr);
        return lines[0];
    }

    private static string Digits => Path.Combine(RepoPaths.Sample("vision"), "samples", "digits.npy");

    [Fact]
    public async Task A_zero_byte_image_is_one_clear_error()
    {
        using var temp = new TempDirectory();
        var empty = temp.Combine("empty.png");
        File.WriteAllBytes(empty, []);
        var line = OneError(await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--image", empty));
        Assert.Contains("empty.png is empty", line);
        Assert.DoesNotContain("NullReference", line);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpg")]
    [InlineData("gif")]
    [InlineData("bmp")]
    [InlineData("webp")]
    public async Task An_image_past_the_pixel_limit_is_refused_from_its_header_before_it_is_decoded(string format)
    {
        // Only the header: a decoder would fail on the missing pixels, so the refusal names the size or nothing.
        using var temp = new TempDirectory();
        var path = temp.Combine("huge." + format);
        File.WriteAllBytes(path, ImageHeaders.Of(format, 20000, 20000));
        var line = OneError(await CliRunner.RunAsync(temp.Path, ["run", RepoPaths.Sample("vision"), "digits_mlp", "--image", path]));
        Assert.Contains("20000×20000", line);
        Assert.Contains("400,000,000 pixels", line);
        Assert.Contains("89,478,485", line);
        Assert.False(Directory.Exists(temp.Combine("hub", "builds")), "refused before the repo was built or loaded");
    }

    [Fact]
    public async Task Compare_on_an_input_with_no_rows_is_one_error_before_anything_is_built()
    {
        using var temp = new TempDirectory();
        var zero = temp.Combine("zero.npy");
        HubHost.Native.TorchNative.EnsureLoaded();
        Npy.Save(zero, zeros(0, 64));
        var line = OneError(await CliRunner.RunAsync(temp.Path, ["compare", RepoPaths.Sample("vision"), RepoPaths.Sample("vision"), "digits_mlp", "--input", zero]));
        Assert.Contains("no values (shape [0, 64])", line);
        Assert.False(Directory.Exists(temp.Combine("hub", "builds")), "refused before the repos were built");
    }

    [Fact]
    public async Task Run_output_that_is_a_folder_or_cannot_be_written_is_refused_before_the_model_runs()
    {
        using var temp = new TempDirectory();
        var folder = temp.Combine("a-folder");
        Directory.CreateDirectory(folder);
        var isFolder = OneError(await CliRunner.RunAsync(temp.Path, ["run", RepoPaths.Sample("vision"), "digits_mlp", "--input", Digits, "--output", folder]));
        Assert.Contains("a-folder is a folder", isFolder);
        var unwritable = OneError(await CliRunner.RunAsync(temp.Path, ["run", RepoPaths.Sample("vision"), "digits_mlp", "--input", Digits, "--output", "/proc/self/out.npy"]));
        Assert.Contains("/proc/self/out.npy", unwritable);
        Assert.Contains("cannot be written", unwritable);
        Assert.False(Directory.Exists(temp.Combine("hub", "builds")), "refused before the model was built or run");
    }

    [Fact]
    public async Task Pack_to_a_file_an_unwritable_folder_or_with_an_overlong_id_is_one_error()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("existing.file");
        File.WriteAllText(file, "x");
        Assert.Contains("existing.file' is a file", OneError(await CliRunner.RunAsync(temp.Path, ["pack", RepoPaths.Sample("hello"), "-o", file])));
        Assert.Contains("/proc/self/x", OneError(await CliRunner.RunAsync(temp.Path, ["pack", RepoPaths.Sample("hello"), "-o", "/proc/self/x"])));
        Assert.False(Directory.Exists(temp.Combine("hub", "builds")), "the output was checked before the build");
        var id = new string('a', 200);
        Assert.Contains("at most 100 characters", OneError(await CliRunner.RunAsync(temp.Path, ["pack", RepoPaths.Sample("hello"), "-o", temp.Combine("out"), "--id", id])));
    }

    [Theory]
    [InlineData("https://127.0.0.1:0", "http://")]
    [InlineData("http://[::ffff:127.0.0.1]:0", "http://127.0.0.1:0")]
    public async Task Serve_urls_it_cannot_listen_on_are_one_error(string url, string advice)
    {
        var line = OneError(await CliRunner.RunAsync([("serve"), RepoPaths.Sample("hello"), "--urls", url], new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory) }, TimeSpan.FromMinutes(2)));
        Assert.Contains(url, line);
        Assert.Contains(advice, line);
    }

    [Fact]
    public async Task A_catalog_refresh_interval_too_long_for_a_timer_is_one_error()
    {
        using var temp = new TempDirectory();
        var catalog = temp.Combine("catalog.json");
        File.WriteAllText(catalog, $$"""{ "refreshMinutes": 1e30, "repos": [ { "repo": "{{RepoPaths.Sample("hello")}}" } ] }""");
        var line = OneError(await CliRunner.RunAsync(["serve", "--catalog", catalog, "--urls", "http://127.0.0.1:0"], new Dictionary<string, string?> { ["HUBHOST_HOME"] = temp.Path }, TimeSpan.FromMinutes(2)));
        Assert.Contains("refreshMinutes", line);
        Assert.Contains("40320", line);
        Assert.Contains("40320", OneError(await CliRunner.RunAsync(["serve", RepoPaths.Sample("hello"), "--refresh-minutes", "1e30"], new Dictionary<string, string?> { ["HUBHOST_HOME"] = temp.Path }, TimeSpan.FromMinutes(2))));
    }

    [Fact]
    public async Task State_dict_of_a_huge_stride_zero_tensor_is_a_clear_error_not_an_unexpected_one()
    {
        var line = OneError(await Run("state-dict", RepoPaths.Fixture("checkpoints", "expanded.pt")));
        Assert.Contains("tensor x", line);
        Assert.Contains("stride [0, 0]", line);
    }

    [Fact]
    public async Task Labels_that_do_not_name_every_class_and_an_empty_labels_file_are_errors()
    {
        using var temp = new TempDirectory();
        var few = temp.Combine("few.txt");
        File.WriteAllLines(few, ["zero", "one", "two"]);
        var line = OneError(await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--arg", "pretrained=true", "--input", Digits, "--labels", few));
        Assert.Contains("3 names", line);
        Assert.Contains("10 classes", line);

        var empty = temp.Combine("empty.txt");
        File.WriteAllText(empty, "\n\n");
        Assert.Contains("empty.txt has no class names", OneError(await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--input", Digits, "--labels", empty)));

        var right = temp.Combine("ten.txt");
        File.WriteAllLines(right, Enumerable.Range(0, 10).Select(i => $"digit-{i}").Append(""));
        var ok = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--arg", "pretrained=true", "--input", Digits, "--labels", right, "--top", "1");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Matches(@"row 0: digit-\d \(", ok.Stdout);
    }

    [Fact]
    public async Task Non_finite_outputs_are_shown_with_a_warning()
    {
        using var temp = new TempDirectory();
        var nan = temp.Combine("nan.npy");
        HubHost.Native.TorchNative.EnsureLoaded();
        Npy.Save(nan, full(2, 64, double.NaN));
        var result = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--input", nan);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("20 of the 20 output values are NaN", result.Stderr);
        Assert.Contains("WRN", result.Stderr);
    }

    [Fact]
    public async Task Help_shows_a_struct_default_as_default()
    {
        var result = await Run("help", RepoPaths.Sample("hello"), "slow_answer");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("CancellationToken cancellationToken = default", result.Stdout);
        Assert.DoesNotContain("= System.Threading.CancellationToken", result.Stdout);
    }

    [Fact]
    public async Task Compare_of_two_folders_with_the_same_content_labels_each_with_its_own_path()
    {
        using var temp = new TempDirectory();
        var copy = temp.Combine("hello-copy");
        Vision.VisionAcceptanceTests.CopyTree(RepoPaths.Sample("hello"), copy);
        var result = await Run("compare", RepoPaths.Sample("hello"), copy, "greet");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("repo:         " + RepoPaths.Sample("hello") + " (", result.Stdout);
        Assert.Contains("repo:         " + copy + " (", result.Stdout);
    }
}

/// <summary>The first bytes of image files of a given size, as each format writes them (no pixels).</summary>
internal static class ImageHeaders
{
    public static byte[] Of(string format, int width, int height) => format switch
    {
        "png" => Png(width, height),
        "jpg" => Jpeg(width, height),
        "gif" => Gif(width, height),
        "bmp" => Bmp(width, height),
        "webp" => WebP(width, height),
        _ => throw new ArgumentException(format),
    };

    private static byte[] Png(int width, int height)
    {
        var bytes = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 };
        bytes.AddRange("IHDR"u8.ToArray());
        bytes.AddRange(BigEndian(width));
        bytes.AddRange(BigEndian(height));
        bytes.AddRange(new byte[] { 8, 2, 0, 0, 0, 0, 0, 0, 0 }); // 8-bit RGB, then a CRC (not checked by a header reader)
        return [.. bytes];
    }

    private static byte[] Jpeg(int width, int height)
    {
        var bytes = new List<byte> { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 };
        bytes.AddRange("JFIF\0"u8.ToArray());
        bytes.AddRange(new byte[] { 1, 1, 0, 0, 1, 0, 1, 0, 0 });
        bytes.AddRange(new byte[] { 0xFF, 0xC0, 0x00, 0x11, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1 });
        return [.. bytes];
    }

    private static byte[] Gif(int width, int height)
        => [.. "GIF89a"u8.ToArray(), (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0, 0, 0];

    private static byte[] Bmp(int width, int height)
    {
        var bytes = new byte[54];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), -height); // top-down
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        return bytes;
    }

    private static byte[] WebP(int width, int height)
    {
        var bytes = new byte[30];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 22);
        Encoding.ASCII.GetBytes("WEBPVP8X").CopyTo(bytes, 8);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), 10);
        bytes[24] = (byte)(width - 1); bytes[25] = (byte)((width - 1) >> 8); bytes[26] = (byte)((width - 1) >> 16);
        bytes[27] = (byte)(height - 1); bytes[28] = (byte)((height - 1) >> 8); bytes[29] = (byte)((height - 1) >> 16);
        return bytes;
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
