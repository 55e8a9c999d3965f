using System.Globalization;
using System.Text.Json;

namespace HubHost.Storage;

/// <summary>
/// Reads the JSON records the hub keeps in its cache (build.json, a ref's record, a mirror's info). Each folder writes
/// its own records with a generated serializer (Building's <c>BuildJson</c>, Sources.Git's <c>GitJson</c>) and reads
/// them back here with a plain Utf8JsonReader: a record is read on every load, and in a fresh process the
/// serializer's first use costs about 30 ms, the reader's well under one.
/// </summary>
internal static class JsonRecords
{
    /// <summary>
    /// The properties of a flat JSON object (strings and numbers) by name, or null when the file is missing,
    /// unreadable, or not such an object — a record that cannot be read counts as absent.
    /// </summary>
    public static Dictionary<string, string>? ReadFlatObject(string path)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String: values[name] = reader.GetString()!; break;
                    case JsonTokenType.Number: values[name] = reader.GetDouble().ToString("R", CultureInfo.InvariantCulture); break;
                    default: reader.Skip(); break;
                }
            }
            return reader.TokenType == JsonTokenType.EndObject ? values : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A required string property, or null (the caller treats the record as absent).</summary>
    public static string? Text(Dictionary<string, string> values, string name) => values.GetValueOrDefault(name);

    /// <summary>
    /// A date written by the serializer (ISO 8601, <c>2026-12-03T18:42:07.354+00:00</c> or <c>…Z</c>), or null. It is read
    /// back by System.Text.Json's own ISO 8601 reader, the counterpart of the writer. The framework's
    /// <c>DateTimeOffset.TryParse</c>/<c>TryParseExact</c>, even with the invariant culture, compare the format's literals
    /// through ICU on first use: 10–14 ms of every process's first load under ICU (build.json is read on every load),
    /// against 0.4 ms here (measured standalone, docs/design.md).
    /// </summary>
    public static System.DateTimeOffset? Date(Dictionary<string, string> values, string name)
    {
        if (!values.TryGetValue(name, out var text) || text.AsSpan().IndexOfAny('"', '\\') >= 0) return null;
        var quoted = System.Text.Encoding.UTF8.GetBytes("\"" + text + "\"");
        var reader = new Utf8JsonReader(quoted);
        try
        {
            return reader.Read() && reader.TryGetDateTimeOffset(out var date) ? date : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
