using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using HubHost.Checkpoints;

namespace HubHost.TorchScript;

/// <summary>
/// Everything the hub checks in a TorchScript archive (torch.jit.save's zip) before libtorch reads a byte of it,
/// so that a malformed, truncated or hostile archive is one error instead of a crash or a hang of the process
/// (libtorch's reader trusts the archive in places: docs/design.md lists what it was found to do):
/// <list type="number">
/// <item>the zip: the central directory is consistent (<see cref="ZipReader"/>), every member's local header and
/// data lie inside the file without overlapping another's, every member matches its CRC-32, deflated members
/// inflate to exactly their size;</item>
/// <item>member names: relative, no <c>..</c> or <c>.</c> segment, no backslash, colon or control character,
/// unique ignoring case (libtorch's zip reader looks names up ignoring case), all under one top-level folder (the
/// one libtorch takes from the first member);</item>
/// <item>the members libtorch needs: data.pkl, constants.pkl, version (or .data/version) with a format version
/// libtorch 2.10 reads, byteorder (if any) little; no legacy model.json;</item>
/// <item>sizes within <see cref="ArchiveLimits"/>;</item>
/// <item>data.pkl, constants.pkl and every code/*.debug_pkl through a restricted unpickler with
/// <see cref="ScriptPickleRules"/> (the allow-list), their values through <see cref="ScriptValues"/>, every
/// tensor storage present and large enough, every tensor inside its storage;</item>
/// <item>code/ sources through <see cref="ScriptSource"/>: UTF-8, nesting bounds, the classes the pickles
/// instantiate defined there with every attribute their state must hold, the chain of definitions referring to
/// one another short.</item>
/// </list>
/// What cannot be checked is what the code does: it is TorchScript that libtorch compiles and runs (at load time
/// too, in a class's __setstate__), which is why an archive is loaded only from a trusted repo or a hash-checked URL.
/// </summary>
internal static partial class ArchiveCheck
{
    private const string Remedy = "Save it again with torch.jit.save(torch.jit.script(model), path) or torch.jit.save(torch.jit.trace(model, example), path)";

    /// <summary>Checks the archive at <paramref name="path"/>, reading it (not mapping it: the file may change meanwhile).</summary>
    /// <exception cref="CheckpointFormatException">What is wrong with it.</exception>
    public static void Run(string path)
    {
        using var source = ByteSource.Open(path, CheckpointReadMode.Copy);
        Run(source);
    }

    /// <summary>Checks the archive in <paramref name="source"/>.</summary>
    /// <exception cref="CheckpointFormatException">What is wrong with it.</exception>
    public static void Run(ByteSource source)
    {
        CheckKind(source);
        var zip = ZipReader.Open(source);
        var archive = new Archive(source, zip);
        archive.CheckMembers();
        archive.CheckChecksums();
        archive.CheckRecords();
        archive.CheckCode();
        archive.CheckPickles();
    }

    private static void CheckKind(ByteSource source)
    {
        if (source.Length == 0) throw source.Error("the file is empty; it was not written completely");
        switch (Checkpoint.Detect(source))
        {
            case CheckpointFormat.TorchZip:
                break;
            case CheckpointFormat.TorchLegacy or CheckpointFormat.Pickle:
                throw source.Error("it is a pickle written by torch.save (a state dict or a whole pickled model), not a TorchScript archive. Load a state dict with LoadStateDict; save a model for the hub with torch.jit.save(torch.jit.script(model), path)");
            case CheckpointFormat.Safetensors:
                throw source.Error("it is a safetensors file of weights, not a TorchScript archive. Load it with LoadStateDict");
            case CheckpointFormat.Npy:
                throw source.Error("it is a numpy .npy array, not a TorchScript archive");
            default:
                throw source.Error($"it is not a zip archive (torch.jit.save writes a zip, starting with PK). {Remedy}");
        }
        Span<byte> head = stackalloc byte[4];
        source.Read(0, head, "the file's first bytes");
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) != 0x04034b50)
            throw source.Error($"it does not start with a zip member (an empty zip or one with something in front of it), as torch.jit.save's archives do. {Remedy}");
    }

    /// <summary>One archive being checked: its members by name relative to the top-level folder.</summary>
    private sealed class Archive(ByteSource source, ZipReader zip)
    {
        private readonly Dictionary<string, ZipEntry> _members = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ScriptDefinition> _definitions = new(StringComparer.Ordinal);
        private string _root = "";

        private CheckpointFormatException Error(string problem) => source.Error(problem);

        private ZipEntry? Member(string relative) => _members.GetValueOrDefault(relative);

        private string Full(string relative) => $"{_root}/{relative}";

        public void CheckMembers()
        {
            if (zip.Entries.Count == 0) throw Error($"the zip archive is empty. {Remedy}");
            string first = zip.Entries[0].Name;
            int slash = first.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0) throw Error($"its first member '{Shorten(first)}' is not inside a folder; libtorch takes the archive's folder from it. {Remedy}");
            _root = first[..slash];
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            long inflated = 0;
            foreach (var entry in zip.Entries)
            {
                CheckName(entry.Name);
                if (!seen.Add(entry.Name))
                    throw Error($"member '{Shorten(entry.Name)}' appears twice (ignoring case, as libtorch's zip reader looks names up), so what is checked might not be what libtorch reads. {Remedy}");
                if (!entry.Name.StartsWith(_root + "/", StringComparison.Ordinal))
                    throw Error($"member '{Shorten(entry.Name)}' is outside the archive's folder '{Shorten(_root)}'; torch.jit.save puts every member in one folder. {Remedy}");
                if (entry.Method == 8) inflated += entry.UncompressedSize;
                if (entry.Name.EndsWith('/'))
                {
                    if (entry.UncompressedSize != 0) throw Error($"folder entry '{Shorten(entry.Name)}' has {entry.UncompressedSize} bytes of content");
                    continue;
                }
                _members[entry.Name[(_root.Length + 1)..]] = entry;
            }
            if (inflated > ArchiveLimits.MaxInflatedBytes)
                throw Error($"its compressed members inflate to {inflated} bytes, more than the {ArchiveLimits.MaxInflatedBytes} the hub checks (torch.jit.save compresses only the code). {Remedy}");
            CheckLayout();
        }

        private void CheckName(string name)
        {
            string shown = Shorten(name);
            if (name.Length == 0) throw Error("a member has an empty name");
            if (name.Contains('\uFFFD')) throw Error($"member '{shown}' has a name that is not valid UTF-8. {Remedy}");
            if (name.StartsWith('/') || name.Contains('\\') || name.Contains(':'))
                throw Error($"member '{shown}' has an absolute name or one with a backslash or colon; it could leave the archive when extracted. {Remedy}");
            if (name.Any(c => c < 0x20 || c == 0x7f)) throw Error($"member '{shown}' has a control character in its name. {Remedy}");
            var segments = name.Split('/');
            for (int i = 0; i < segments.Length; i++)
            {
                if (segments[i] is "." or "..") throw Error($"member '{shown}' leaves the archive ('{segments[i]}' in its name). {Remedy}");
                if (segments[i].Length == 0 && i != segments.Length - 1) throw Error($"member '{shown}' has an empty folder in its name. {Remedy}");
            }
        }

        /// <summary>Every member's local header and data lie in the file and no two overlap.</summary>
        private void CheckLayout()
        {
            var ranges = new List<(long Start, long End, string Name)>(zip.Entries.Count);
            foreach (var entry in zip.Entries)
            {
                long data = zip.DataOffset(entry);
                ranges.Add((entry.LocalHeaderOffset, data + entry.CompressedSize, entry.Name));
            }
            ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
            for (int i = 1; i < ranges.Count; i++)
            {
                if (ranges[i].Start < ranges[i - 1].End)
                    throw Error($"members '{Shorten(ranges[i - 1].Name)}' and '{Shorten(ranges[i].Name)}' overlap in the file, which no zip writer produces. {Remedy}");
            }
        }

        public void CheckChecksums()
        {
            foreach (var entry in zip.Entries) zip.CheckEntryCrc(entry);
        }

        /// <summary>The records libtorch needs, and the sizes of those the check reads.</summary>
        public void CheckRecords()
        {
            if (Member("model.json") is not null)
                throw Error($"it is in the pre-1.4 TorchScript format (model.json), which the hub does not load. Load it in an older PyTorch and {char.ToLowerInvariant(Remedy[0])}{Remedy[1..]}");
            bool hasCode = _members.Keys.Any(k => k.StartsWith("code/", StringComparison.Ordinal));
            if (Member("data.pkl") is null)
                throw Error($"it has no member '{Full("data.pkl")}', which holds a TorchScript module. {Remedy}");
            if (Member("constants.pkl") is null)
            {
                if (!hasCode)
                    throw Error("it is a torch.save file (a zip with data.pkl but no code/), a state dict or pickled object rather than a TorchScript archive. Load a state dict with LoadStateDict; save a model for the hub with torch.jit.save(torch.jit.script(model), path)");
                throw Error($"it has no member '{Full("constants.pkl")}', which libtorch reads first. {Remedy}");
            }
            foreach (var name in new[] { "data.pkl", "constants.pkl" })
            {
                if (Member(name)!.UncompressedSize > ArchiveLimits.MaxPickleBytes)
                    throw Error($"member '{Full(name)}' is {Member(name)!.UncompressedSize} bytes; the hub reads pickles of at most {ArchiveLimits.MaxPickleBytes}");
            }

            var version = Member(".data/version") ?? Member("version")
                ?? throw Error($"it has no member '{Full("version")}' (nor '{Full(".data/version")}'), which libtorch reads first. {Remedy}");
            string text = SmallText(version, 32, "a format version");
            if (!VersionText().IsMatch(text))
                throw Error($"member '{version.Name}' holds '{Shorten(text.TrimEnd())}' where torch.jit.save writes a format version number");
            long number = long.Parse(text.AsSpan().TrimEnd('\n'), System.Globalization.CultureInfo.InvariantCulture);
            if (number < ArchiveLimits.MinFormatVersion || number > ArchiveLimits.MaxFormatVersion)
                throw Error($"its file format version is {number}, and libtorch 2.10 reads versions {ArchiveLimits.MinFormatVersion} to {ArchiveLimits.MaxFormatVersion}" +
                            (number > ArchiveLimits.MaxFormatVersion ? ": it was written by a newer PyTorch. Save it with the PyTorch version that matches the hub's libtorch (2.10 or older)" : ""));

            if (Member("byteorder") is { } byteOrder)
            {
                string order = SmallText(byteOrder, 16, "a byte order");
                if (order != "little")
                    throw Error($"it was saved with byte order '{Shorten(order)}'; only little-endian archives are loaded. Load it in PyTorch on that machine and save it again on a little-endian one (x86, ARM)");
            }
        }

        private string SmallText(ZipEntry entry, int max, string what)
        {
            if (entry.UncompressedSize > max) throw Error($"member '{Shorten(entry.Name)}' is {entry.UncompressedSize} bytes where torch.jit.save writes {what} of a few bytes");
            return Encoding.ASCII.GetString(zip.ReadAll(entry));
        }

        public void CheckCode()
        {
            long total = 0;
            foreach (var (relative, entry) in _members)
            {
                if (!relative.StartsWith("code/", StringComparison.Ordinal)) continue;
                var match = CodeMember().Match(relative);
                if (!match.Success)
                    throw Error($"member '{Shorten(entry.Name)}' in code/ is not a TorchScript source (code/__torch__/<module path>.py) or its .debug_pkl. {Remedy}");
                if (entry.UncompressedSize > ArchiveLimits.MaxSourceFileBytes)
                    throw Error($"member '{Shorten(entry.Name)}' is {entry.UncompressedSize} bytes; the hub reads code files of at most {ArchiveLimits.MaxSourceFileBytes}");
                total += entry.UncompressedSize;
                if (total > ArchiveLimits.MaxTotalSourceBytes)
                    throw Error($"its code/ files are more than {ArchiveLimits.MaxTotalSourceBytes} bytes together, more than the hub reads");
                if (match.Groups[2].Success) continue; // a .debug_pkl: read with the pickles
                string qualifier = match.Groups[1].Value.Replace('/', '.');
                foreach (var definition in ScriptSource.Read(entry.Name, qualifier, zip.ReadAll(entry), problem => Error(problem)))
                {
                    _definitions[definition.QualifiedName] = definition;
                    if (_definitions.Count > ArchiveLimits.MaxDefinitions)
                        throw Error($"its code defines more than {ArchiveLimits.MaxDefinitions} classes and functions, more than the hub loads");
                }
            }
            CheckReferences();
            CheckReferenceDepth();
        }

        /// <summary>
        /// Every <c>__torch__</c> name the code mentions is a class or function some code/ member defines. libtorch 2.10
        /// reports an unknown name, like any other compile error, with a torch::jit::ErrorReport that TorchSharp 0.107
        /// does not catch: the process aborts. (Custom C++ classes, <c>__torch__.torch.classes.*</c>, are libtorch's own.)
        /// </summary>
        private void CheckReferences()
        {
            foreach (var definition in _definitions.Values)
            {
                foreach (var reference in definition.References)
                {
                    if (Resolve(reference) is null && !reference.StartsWith("__torch__.torch.classes.", StringComparison.Ordinal))
                        throw Error($"its code refers to {Shorten(reference)} ({definition.Where}), which no code/ member defines; libtorch would fail to compile it in a way that ends the process");
                }
            }
        }

        /// <summary>
        /// The longest chain of definitions referring to one another, which libtorch imports recursively: a longest
        /// path by depth-first search with memoized heights; a reference back into the current path (a cycle) does not
        /// lengthen it.
        /// </summary>
        private void CheckReferenceDepth()
        {
            var height = new Dictionary<string, int>(StringComparer.Ordinal);
            var onPath = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<(ScriptDefinition Definition, IEnumerator<string> References, int Height)>();
            foreach (var start in _definitions.Values)
            {
                if (height.ContainsKey(start.QualifiedName)) continue;
                stack.Push((start, start.References.GetEnumerator(), 1));
                onPath.Add(start.QualifiedName);
                while (stack.Count > 0)
                {
                    var (definition, references, h) = stack.Pop();
                    if (references.MoveNext())
                    {
                        stack.Push((definition, references, h));
                        if (Resolve(references.Current) is not { } next || next == definition || onPath.Contains(next.QualifiedName)) continue;
                        if (height.TryGetValue(next.QualifiedName, out int known))
                        {
                            var top = stack.Pop();
                            stack.Push((top.Definition, top.References, Math.Max(top.Height, known + 1)));
                            continue;
                        }
                        onPath.Add(next.QualifiedName);
                        stack.Push((next, next.References.GetEnumerator(), 1));
                        continue;
                    }
                    onPath.Remove(definition.QualifiedName);
                    height[definition.QualifiedName] = h;
                    if (h > ArchiveLimits.MaxReferenceDepth)
                        throw Error($"its code has a chain of more than {ArchiveLimits.MaxReferenceDepth} classes and functions referring to one another (from {definition.QualifiedName}, {definition.Where}), which libtorch imports recursively and in more than quadratic time");
                    if (stack.Count > 0)
                    {
                        var parent = stack.Pop();
                        stack.Push((parent.Definition, parent.References, Math.Max(parent.Height, h + 1)));
                    }
                }
            }
        }

        /// <summary>The definition a <c>__torch__.a.B[.member]</c> reference names, if the archive defines it.</summary>
        private ScriptDefinition? Resolve(string reference)
        {
            if (_definitions.TryGetValue(reference, out var definition)) return definition;
            int dot = reference.LastIndexOf('.');
            return dot > 0 ? _definitions.GetValueOrDefault(reference[..dot]) : null;
        }

        public void CheckPickles()
        {
            var objects = new List<ScriptObject>();
            var constants = ReadPickle("constants.pkl", ScriptPickleKind.Constants, objects);
            if (constants is not PyTuple table) throw Error($"member '{Full("constants.pkl")}' holds a {Unpickler.TypeName(constants)} where torch.jit.save writes a tuple of constants");
            // The code uses each constant (CONSTANTS.cN) as what torch.jit.save put in the table: a tensor, a string it
            // could not print as ASCII, or an object. libtorch compiles the code against the values it finds, and a
            // mismatch is a compile error that ends the process (afl found a tuple where a tensor was).
            for (int i = 0; i < table.Count; i++)
            {
                if (table[i] is not (TensorSpec or string or ScriptObject))
                    throw Error($"member '{Full("constants.pkl")}' holds a {Unpickler.TypeName(table[i])} as constant c{i}; torch.jit.save's constants are tensors, strings or objects, and libtorch would fail to compile code expecting one in a way that ends the process");
            }
            var data = ReadPickle("data.pkl", ScriptPickleKind.Data, objects);
            if (data is not ScriptObject) throw Error($"member '{Full("data.pkl")}' holds a {Unpickler.TypeName(data)} where torch.jit.save writes a TorchScript module object");
            foreach (var obj in objects) CheckObject(obj);
            foreach (var relative in _members.Keys.Where(k => k.StartsWith("code/", StringComparison.Ordinal) && k.EndsWith(".py.debug_pkl", StringComparison.Ordinal)).ToList())
            {
                var info = ReadPickle(relative, ScriptPickleKind.Debug, objects);
                DebugInfo.Check(info, problem => Error($"member '{Full(relative)}' {problem}, unlike the source ranges torch.jit.save writes; libtorch would read past them when it reports an error"));
            }
        }

        private object? ReadPickle(string relative, ScriptPickleKind kind, List<ScriptObject> objects)
        {
            var entry = Member(relative)!;
            string member = Full(relative);
            string folder = kind == ScriptPickleKind.Constants ? "constants/" : "data/";
            var rules = new ScriptPickleRules(kind, key => Member(folder + key), $"{_root}/{folder}",
                name => _definitions.TryGetValue(name, out var definition) && definition.IsClass);
            var bytes = zip.ReadAll(entry);
            object? value;
            try
            {
                using var memory = new MemorySource(source.Name, bytes, bytes.Length);
                value = Unpickler.Load(new PickleReader(memory, 0, bytes.Length), rules, source.Name);
            }
            catch (CheckpointFormatException e)
            {
                throw Error($"in member '{member}', {e.Problem.TrimEnd('.')}");
            }
            ScriptValues.Check(value, problem => Error($"in member '{member}', {problem}"), visited =>
            {
                switch (visited)
                {
                    case TensorSpec tensor:
                        CheckTensor(member, tensor);
                        break;
                    case ScriptObject obj:
                        objects.Add(obj);
                        break;
                }
            });
            return value;
        }

        private void CheckTensor(string member, TensorSpec tensor)
        {
            string layout = $"offset {tensor.StorageOffset}, shape [{string.Join(", ", tensor.Shape)}], stride [{string.Join(", ", tensor.Strides)}]";
            try
            {
                if (TorchCheckpoint.LastElement(tensor.StorageOffset, tensor.Shape, tensor.Strides) is { } last && last >= tensor.Storage.Numel)
                    throw Error($"in member '{member}', a tensor ({layout}) reaches element {last} of storage '{tensor.Storage.Key}', which holds only {tensor.Storage.Numel}; libtorch would read past it");
            }
            catch (OverflowException)
            {
                throw Error($"in member '{member}', a tensor ({layout}) of storage '{tensor.Storage.Key}' has more elements or a larger extent than 64-bit sizes can count");
            }
        }

        /// <summary>A module or class object: its class is defined in code/, and its state has every attribute libtorch will look up.</summary>
        private void CheckObject(ScriptObject obj)
        {
            string name = obj.Class.FullName;
            if (!_definitions.TryGetValue(name, out var definition) || !definition.IsClass)
                throw Error($"its pickle makes an object of class {Shorten(name)}, which no code/ member defines (libtorch would look for class {obj.Class.Name} in '{Full("code/" + obj.Class.Module.Replace('.', '/') + ".py")}'). {Remedy}");
            // torch.jit.save instantiates modules and plain TorchScript classes; libtorch would treat an Enum "object" as a
            // lookup that may push nothing, after which what it reads no longer matches what was checked.
            if (definition.Bases is not (null or "Module"))
                throw Error($"its pickle makes an object of {name}, a class based on {definition.Bases} ({definition.Where}); torch.jit.save pickles only modules and plain TorchScript classes as objects");
            if (definition.HasSetState) return; // libtorch hands the state to the class's own __setstate__ (TorchScript), which checks its type.
            if (obj.State is not PyDict state)
                throw Error($"its pickle gives the {name} object a {Unpickler.TypeName(obj.State)} as state; a class without __setstate__ takes a dict of its attributes");
            if (!definition.AttributesKnown)
                throw Error($"the hub cannot read the attribute names of class {name} ({definition.Where}), so it cannot check that its objects have them");
            foreach (var attribute in definition.Attributes)
            {
                if (!state.Items.ContainsKey(attribute))
                    throw Error($"its pickle gives the {name} object no value for its attribute '{Shorten(attribute)}' ({definition.Where}); libtorch would fail on it in a way that ends the process");
            }
        }
    }

    internal static string Shorten(string text) => ScriptPickleRules.Shorten(text);

    [GeneratedRegex(@"^[0-9]{1,18}\n?$")]
    private static partial Regex VersionText();

    [GeneratedRegex(@"^code/(__torch__(?:/[A-Za-z_][A-Za-z0-9_]*)*)\.py(\.debug_pkl)?$")]
    private static partial Regex CodeMember();
}
