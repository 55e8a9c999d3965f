using System.Text.Json;
using HubHost.Storage;

namespace HubHost.Tests.Storage;

/// <summary>Dates in the hub's JSON records read back as they were written, as the general ISO parse reads them.</summary>
public sealed class JsonRecordsTests
{
    [Theory]
    [InlineData("2026-12-03T18:42:07.3540281+00:00")]
    [InlineData("2026-12-03T18:42:07+00:00")]
    [InlineData("2026-12-03T18:42:07.5-05:30")]
    [InlineData("2026-12-03T18:42:07Z")]
    [InlineData("2026-12-03T18:42:07.120Z")]
    public void A_date_reads_as_the_general_iso_parse_reads_it(string text)
    {
        Assert.True(DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var expected));
        var read = JsonRecords.Date(new Dictionary<string, string> { ["At"] = text }, "At");
        Assert.Equal(expected, read);
        Assert.Equal(expected.Offset, read!.Value.Offset);
    }

    [Fact]
    public void Dates_the_serializer_writes_read_back_exactly()
    {
        var times = new[]
        {
            new DateTimeOffset(2026, 12, 3, 18, 42, 7, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 3, 18, 42, 7, TimeSpan.Zero).AddTicks(3540281),
            new DateTimeOffset(1999, 1, 31, 23, 59, 59, 500, TimeSpan.FromHours(5.5)),
            DateTimeOffset.UtcNow,
        };
        foreach (var time in times)
        {
            var text = JsonSerializer.Serialize(time).Trim('"');
            var read = JsonRecords.Date(new Dictionary<string, string> { ["At"] = text }, "At");
            Assert.Equal(time, read);
            Assert.Equal(time.Offset, read!.Value.Offset);
        }
        Assert.Null(JsonRecords.Date(new Dictionary<string, string> { ["At"] = "yesterday" }, "At"));
        Assert.Null(JsonRecords.Date(new Dictionary<string, string>(), "At"));
        Assert.Null(JsonRecords.Date(new Dictionary<string, string> { ["At"] = "2026-12-03T18:42:07Z\"" }, "At"));
        Assert.Null(JsonRecords.Date(new Dictionary<string, string> { ["At"] = "2026-12-03\n" }, "At"));
    }
}
