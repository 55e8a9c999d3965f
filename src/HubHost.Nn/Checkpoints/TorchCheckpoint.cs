using System.Buffers.Binary;
using System.Numerics;

namespace HubHost.Nn.Checkpoints;

/// <summary>
/// Reads files written by <c>torch.save(state_dict, path)</c>: the zip format (PyTorch 1.6 and later) and the
/// legacy pre-1.6 format, through a restricted unpickler that accepts what
/// <c>torch.load(path, weights_only=True)</c> accepts and never constructs or calls anything else.
/// </summary>
public static class TorchCheckpoint
{
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocolVersion = 1001;

    /// <summary>Reads a torch.save state dict (zip or legacy format), memory-mapping the file.</summary>
    /// <exception cref="CheckpointFormatException">The file is malformed, is not a state dict of tensors, or refers to anything outside the allow-list.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path) => Load(path, CheckpointReadMode.MemoryMap);

    /// <summary>Reads a torch.save state dict (zip or legacy format), memory-mapped or copied.</summary>
    /// <exception cref="CheckpointFormatException">The file is malformed, is not a state dict of tensors, or refers to anything outside the allow-list.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path, CheckpointReadMode mode)
    {
        using var source = ByteSource.Open(path, mode);
        Span<byte> head = stackalloc byte[4];
        if (source.Length < 4) throw source.Error($"the file is {source.Length} bytes; it is truncated or not a torch.save file.");
        source.Read(0, head, "the file's first bytes");
        if (head[0] == (byte)'P' && head[1] == (byte)'K') return ReadZip(source);
        if (head[0] == 0x80) return ReadLegacy(source);
        throw source.Error("the file is neither a zip (PyTorch 1.6+) nor a legacy pickle torch.save file.");
    }

    internal static OrderedDictionary<string, Tensor> ReadZip(ByteSource source)
    {
        var zip = ZipReader.Open(source);
        string root = FindArchiveRoot(source, zip);
        var byteOrder = zip.Find($"{root}/byteorder");
        if (byteOrder is not null && byteOrder.UncompressedSize < 16)
        {
            var order = System.Text.Encoding.ASCII.GetString(zip.ReadAll(byteOrder));
            if (order != "little") throw source.Error($"the checkpoint was saved with byte order '{order}'; only little-endian checkpoints are supported.");
        }

        var pklEntry = zip.Find($"{root}/data.pkl")!;
        var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        StorageRef PersistentLoad(PyTuple id)
        {
            if (id.Count != 5) throw source.Error($"a storage persistent id has {id.Count} fields; the zip format has 5 ('storage', type, key, location, numel).");
            var (dtype, key, numel) = ParseStorageId(source, id);
            if (storages.TryGetValue(key, out var existing)) return existing;
            return storages[key] = new StorageRef(key, dtype, numel);
        }

        object? obj;
        if (pklEntry.Method == 0)
        {
            obj = Unpickler.Load(new PickleReader(source, zip.DataOffset(pklEntry), pklEntry.UncompressedSize), PersistentLoad, source.Name);
        }
        else
        {
            var bytes = zip.ReadAll(pklEntry);
            using var memory = new MemorySource(source.Name, bytes, bytes.Length);
            obj = Unpickler.Load(new PickleReader(memory, 0, bytes.Length), PersistentLoad, source.Name);
        }

        foreach (var storage in storages.Values)
        {
            var record = zip.Find($"{root}/data/{storage.Key}")
                ?? throw source.Error($"the pickle refers to storage '{storage.Key}' but the archive has no record '{root}/data/{storage.Key}'; the checkpoint is incomplete.");
            storage.Storage = zip.Storage(record, StorageBytes(source, storage));
        }
        return ToStateDict(source, obj);
    }

    /// <summary>The archive's root folder: torch names it after the file, but any name is accepted.</summary>
    private static string FindArchiveRoot(ByteSource source, ZipReader zip)
    {
        if (zip.Entries.Count == 0) throw source.Error("the zip archive is empty; it is not a torch.save file.");
        var first = zip.Entries[0].Name;
        int slash = first.IndexOf('/');
        if (slash > 0 && zip.Find(first[..slash] + "/data.pkl") is not null) return first[..slash];
        var candidates = zip.Entries.Where(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal) && e.Name.IndexOf('/') == e.Name.Length - "/data.pkl".Length).ToList();
        if (candidates.Count == 0)
            throw source.Error("the zip archive has no <root>/data.pkl; it is not a torch.save checkpoint (TorchScript archives and other zips are not supported).");
        return candidates[0].Name[..candidates[0].Name.IndexOf('/')];
    }

    internal static OrderedDictionary<string, Tensor> ReadLegacy(ByteSource source)
    {
        var reader = new PickleReader(source, 0, source.Length);
        var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        StorageRef NoStorages(PyTuple id) => throw source.Error("a legacy checkpoint header refers to a storage; the file is corrupt.");

        var magic = Unpickler.Load(reader, NoStorages, source.Name);
        if (!(magic is BigInteger m && m == LegacyMagic))
            throw source.Error("the file is a pickle but not a torch.save checkpoint (its magic number is missing); plain pickles are not loaded.");
        var protocol = Unpickler.Load(reader, NoStorages, source.Name);
        if (protocol is not LegacyProtocolVersion) throw source.Error($"the legacy checkpoint has protocol version {protocol}; only {LegacyProtocolVersion} is supported.");
        var sysInfo = Unpickler.Load(reader, NoStorages, source.Name);
        if (sysInfo is PyDict info && info.Items.TryGetValue("little_endian", out var little) && little is false)
            throw source.Error("the legacy checkpoint was saved on a big-endian machine; only little-endian checkpoints are supported.");

        StorageRef PersistentLoad(PyTuple id)
        {
            if (id.Count != 6) throw source.Error($"a storage persistent id has {id.Count} fields; the legacy format has 6 ('storage', type, key, location, numel, view).");
            var (dtype, key, numel) = ParseStorageId(source, id);
            if (!storages.TryGetValue(key, out var root)) storages[key] = root = new StorageRef(key, dtype, numel);
            if (id[5] is null) return root;
            // A view of a storage (PyTorch before 0.4): (view_key, offset, size) in elements.
            if (id[5] is not PyTuple { Count: 3 } view || view[0] is not string viewKey || view[1] is not long offset || view[2] is not long size || offset < 0 || size < 0 || offset > root.Numel - size)
                throw source.Error($"storage '{key}' has malformed view metadata; the checkpoint is corrupt.");
            if (storages.TryGetValue(viewKey, out var existing)) return existing;
            return storages[viewKey] = new StorageRef(viewKey, dtype, size) { ViewOf = root, ViewOffset = offset };
        }

        var obj = Unpickler.Load(reader, PersistentLoad, source.Name);
        var keys = Unpickler.Load(reader, NoStorages, source.Name);
        if (keys is not List<object?> keyList) throw source.Error($"the legacy checkpoint's storage key list is a {Unpickler.TypeName(keys)}; the file is corrupt.");

        long position = reader.Position;
        Span<byte> count = stackalloc byte[8];
        foreach (var k in keyList)
        {
            if (k is not string key || !storages.TryGetValue(key, out var storage) || storage.ViewOf is not null)
                throw source.Error($"the legacy checkpoint lists storage {k} that no tensor uses; the file is corrupt.");
            if (storage.Storage is not null) throw source.Error($"the legacy checkpoint lists storage '{key}' twice; the file is corrupt.");
            source.Read(position, count, $"the size of storage '{key}'");
            long elements = BinaryPrimitives.ReadInt64LittleEndian(count);
            if (elements != storage.Numel)
                throw source.Error($"storage '{key}' has {elements} elements in the file but {storage.Numel} in the pickle; the file is corrupt.");
            long bytes = StorageBytes(source, storage);
            storage.Storage = source.Storage(position + 8, bytes, $"storage '{key}'");
            position += 8 + bytes;
        }
        foreach (var storage in storages.Values)
        {
            if (storage.ViewOf is null && storage.Storage is null)
                throw source.Error($"the pickle refers to storage '{storage.Key}' but the file holds no data for it; the checkpoint is incomplete.");
        }
        return ToStateDict(source, obj);
    }

    private static (DType DType, string Key, long Numel) ParseStorageId(ByteSource source, PyTuple id)
    {
        if (id[1] is not PyGlobal type) throw source.Error($"a storage persistent id has type {Unpickler.TypeName(id[1])}; expected a torch.*Storage class.");
        var dtype = (type.Module is "torch" or "torch.cuda" ? DTypeNames.FromStorageClass(type.Name) : null)
            ?? throw source.Error($"storage type {type.FullName} is not supported (only {string.Join(", ", Enum.GetNames<DType>())}).");
        if (id[2] is not string key) throw source.Error($"a storage key is a {Unpickler.TypeName(id[2])}, not a string; the checkpoint is corrupt.");
        if (id[4] is not long numel || numel < 0) throw source.Error($"storage '{key}' has size {id[4]}, not a non-negative integer; the checkpoint is corrupt.");
        return (dtype, key, numel);
    }

    private static long StorageBytes(ByteSource source, StorageRef storage)
    {
        try
        {
            return checked(storage.Numel * storage.DType.ElementSize());
        }
        catch (OverflowException)
        {
            throw source.Error($"storage '{storage.Key}' claims {storage.Numel} elements, an impossible size; the checkpoint is corrupt.");
        }
    }

    /// <summary>Checks the unpickled object is a dict of name to tensor and creates the tensors.</summary>
    internal static OrderedDictionary<string, Tensor> ToStateDict(ByteSource source, object? obj)
    {
        if (obj is not PyDict dict)
            throw source.Error($"the file holds a {Unpickler.TypeName(obj)}, not a state dict (a dict of name to tensor); save model.state_dict() instead.");
        var result = new OrderedDictionary<string, Tensor>(dict.Items.Count);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name) throw source.Error($"the dict has a key of type {Unpickler.TypeName(key)}; a state dict's keys are strings.");
            if (value is not TensorSpec spec)
                throw source.Error($"entry '{name}' is a {Unpickler.TypeName(value)}, not a tensor: the file holds more than a state dict (e.g. a training checkpoint). Save just the state dict with torch.save(model.state_dict(), path).");
            result.Add(name, CreateTensor(source, name, spec));
        }
        return result;
    }

    private static Tensor CreateTensor(ByteSource source, string name, TensorSpec spec)
    {
        var storage = spec.Storage;
        long offset = spec.StorageOffset;
        if (storage.ViewOf is not null)
        {
            offset += storage.ViewOffset;
            storage = storage.ViewOf;
        }
        var bytes = storage.Storage ?? throw source.Error($"tensor '{name}' has no storage data; the checkpoint is incomplete.");
        int size = storage.DType.ElementSize();
        try
        {
            long elements = 1;
            foreach (var d in spec.Shape) elements = checked(elements * d);
            if (elements > 0)
            {
                long last = offset;
                for (int i = 0; i < spec.Shape.Length; i++) last = checked(last + (spec.Shape[i] - 1) * spec.Strides[i]);
                if (offset < 0 || checked((last + 1) * size) > bytes.ByteLength)
                    throw source.Error($"tensor '{name}' (offset {offset}, shape [{string.Join(", ", spec.Shape)}], stride [{string.Join(", ", spec.Strides)}]) reaches element {last} but its storage '{storage.Key}' holds only {bytes.ByteLength / size}; the checkpoint is corrupt.");
            }
        }
        catch (OverflowException)
        {
            throw source.Error($"tensor '{name}' has shape [{string.Join(", ", spec.Shape)}] and stride [{string.Join(", ", spec.Strides)}] whose extent overflows; the checkpoint is corrupt.");
        }
        return Tensor.FromStorage(bytes, storage.DType, spec.Shape, spec.Strides, offset);
    }
}
