using HubHost.Checkpoints;

namespace HubHost.TorchScript;

/// <summary>
/// The shape of a code/*.py.debug_pkl, which maps the generated source back to the model's Python source for error
/// messages. libtorch reads it only when it reports an error, and indexes its tuples and string table without
/// bounds checks (source_range_serialization.cpp): a text index past the table crashed libtorch 2.10 with SIGSEGV.
/// So the check requires exactly the layout torch.jit.save writes:
/// <c>("FORMAT_WITH_STRING_TABLE", (text, ...), ((byte_offset, range, tag), ...))</c> with
/// <c>range = (source, start, end)</c> and <c>source = ([text index, ...], filename index, line)</c>, every index
/// inside the table; or the older <c>((byte_offset, range, tag), ...)</c>
/// with <c>source = (text, filename or None, line)</c>.
/// </summary>
internal static class DebugInfo
{
    private const string StringTableFormat = "FORMAT_WITH_STRING_TABLE";

    public static void Check(object? value, Func<string, Exception> error)
    {
        if (value is not PyTuple top || top.Count == 0) throw error("is not a non-empty tuple");
        IReadOnlyList<string>? table = null;
        PyTuple records = top;
        if (top[0] is string format)
        {
            if (format != StringTableFormat || top.Count != 3 || top[1] is not PyTuple texts || top[2] is not PyTuple list)
                throw error("is not a (format, string table, records) tuple");
            var strings = new List<string>(texts.Count);
            foreach (var t in texts.Items) strings.Add(t as string ?? throw error("has a string table holding something other than strings"));
            // libtorch uses the table only when it is not empty (otherwise sources are the older (text, filename, line)).
            if (strings.Count > 0) table = strings;
            records = list;
        }
        // Sources are shared by many records (the pickle memoizes them): check each once.
        var checkedSources = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var record in records.Items)
        {
            if (record is not PyTuple { Count: 3 } r || r[0] is not long || r[2] is not long || r[1] is not PyTuple { Count: 3 } range)
                throw error("has a record that is not (byte offset, source range, tag)");
            // Ranges past their source's text are written by torch itself (an empty source with the range 0..1);
            // libtorch 2.10 reports them as errors without reading past the text.
            if (range[1] is not long || range[2] is not long) throw error("has a source range whose start or end is not an integer");
            if (range[0] is { } source && checkedSources.Add(source)) CheckSource(source, table, error);
        }
    }

    private static void CheckSource(object source, IReadOnlyList<string>? table, Func<string, Exception> error)
    {
        if (source is not PyTuple { Count: 3 } s || s[2] is not long)
            throw error("has a source that is not a (text, filename, line) tuple");
        if (table is null)
        {
            if (s[0] is not string || s[1] is not (string or null)) throw error("has a source whose text or filename is not a string");
            return;
        }
        if (s[0] is not List<object?> pieces || s[1] is not long filename || filename < 0 || filename >= table.Count)
            throw error($"has a source whose text or filename index is not inside its string table of {table.Count} entries");
        foreach (var piece in pieces)
        {
            if (piece is not long index || index < 0 || index >= table.Count)
                throw error($"has a source text index {Unpickler.Describe(piece)} outside its string table of {table.Count} entries");
        }
    }
}
