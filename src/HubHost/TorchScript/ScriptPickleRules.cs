using System.Text.RegularExpressions;
using HubHost.Checkpoints;
using static TorchSharp.torch;

namespace HubHost.TorchScript;

/// <summary>Which pickle of a TorchScript archive is being read: each allows different things.</summary>
internal enum ScriptPickleKind
{
    /// <summary>data.pkl: the module objects, their attributes and tensors.</summary>
    Data,

    /// <summary>constants.pkl: the tuple of tensor and other constants the code refers to as CONSTANTS.cN.</summary>
    Constants,

    /// <summary>code/*.py.debug_pkl: source ranges for error messages (strings, ints, int lists).</summary>
    Debug,
}

/// <summary>
/// The allow-list for the pickles inside a TorchScript archive, which libtorch's own unpickler
/// (torch/csrc/jit/serialization/unpickler.cpp) reads rather than Python's. It accepts exactly what torch.jit.save's
/// C++ pickler writes and reads it the way libtorch does, so that what passes here means the same to libtorch:
/// <list type="bullet">
/// <item>opcodes: protocol 2 only, and only the 30 opcodes the C++ pickler emits; memo slots in order;</item>
/// <item>globals: the archive's own TorchScript classes (<c>__torch__.*</c>, built by libtorch from code/, checked
/// against it by <see cref="ArchiveCheck"/>) through NEWOBJ then BUILD; <c>torch._utils._rebuild_tensor_v2</c>;
/// <c>collections.OrderedDict</c> (an empty one, for a tensor's backward hooks); <c>torch.jit._pickle</c>'s
/// <c>build_intlist</c>, <c>build_doublelist</c>, <c>build_boollist</c>, <c>build_tensorlist</c> and
/// <c>restore_type_tag</c> (with a type libtorch parses: <see cref="TypeName"/>); <c>builtins.complex</c>; <c>torch.device</c>; and <c>torch.&lt;Type&gt;Storage</c> inside
/// persistent ids. Everything else is refused by name, including what libtorch itself would accept but a
/// hostile archive could misuse: quantized and sparse tensors (built without bounds checks), custom C++ classes
/// (<c>__torch__.torch.classes.*</c>, whose native __setstate__ sees unchecked state), enum values, RRefs;</item>
/// <item>persistent ids: ('storage', torch.&lt;Type&gt;Storage, key, location, numel), whose record exists and holds
/// numel elements of that type (libtorch trusts the numel and reads past a shorter record).</item>
/// </list>
/// debug_pkl files allow only <c>torch.jit._pickle.build_intlist</c> and no persistent ids.
/// </summary>
internal sealed partial class ScriptPickleRules(ScriptPickleKind kind, Func<string, ZipEntry?> storageRecord, string storageFolder, Func<string, bool> isClass) : UnpicklerRules
{
    /// <summary>PROTO, STOP, MARK, the tuple, list and dict builders, ints, floats, strings, memo, GLOBAL, REDUCE, NEWOBJ, BUILD, BINPERSID.</summary>
    private static readonly bool[] Opcodes = AllowedOpcodes();

    private static readonly HashSet<string> ListBuilders = new(StringComparer.Ordinal) { "build_intlist", "build_doublelist", "build_boollist", "build_tensorlist" };

    private static bool[] AllowedOpcodes()
    {
        var allowed = new bool[256];
        foreach (char op in "\u0080.()t\u0085\u0086\u0087]e}uXKMJ\u008aG\u0088\u0089NqrhjcR\u0081bQ") allowed[op] = true;
        return allowed;
    }

    public override string? RefuseOpcode(byte opcode, long position)
    {
        if (position == 0 && opcode != 0x80) return "it does not start with a PROTO opcode, as every pickle libtorch reads does";
        if (!Opcodes[opcode]) return $"it uses opcode 0x{opcode:x2} at byte {position}, which torch.jit.save never writes";
        return null;
    }

    public override void Protocol(Unpickler u, int protocol)
    {
        if (protocol != 2) throw u.Error($"it is pickle protocol {protocol}; torch.jit.save writes protocol 2, the only one libtorch reads");
    }

    public override bool SequentialMemo => true;

    public override bool SingleResult => true;

    public override void Memoize(Unpickler u, object? value)
    {
        // libtorch keeps NEWOBJ's class on its stack until BUILD; a memo entry of the half-built object would
        // mean something else to it than here.
        if (value is PendingObject p) throw u.Error($"it memoizes a {p.Class.FullName} object before BUILD gives it its state, which torch.jit.save never does");
    }

    public override object Global(Unpickler u, string module, string name)
    {
        var global = new PyGlobal(module, name);
        if (kind == ScriptPickleKind.Debug)
        {
            if (global.FullName == "torch.jit._pickle.build_intlist") return global;
            throw u.Error($"it refers to the global '{global.FullName}'; a debug_pkl holds only source ranges (strings, ints and torch.jit._pickle.build_intlist)");
        }
        switch (global.FullName)
        {
            case "torch._utils._rebuild_tensor_v2":
            case "collections.OrderedDict":
            case "builtins.complex":
            case "torch.device":
            case "torch.jit._pickle.restore_type_tag":
                return global;
            case "torch.jit._pickle.build_intlist" or "torch.jit._pickle.build_doublelist" or "torch.jit._pickle.build_boollist" or "torch.jit._pickle.build_tensorlist":
                return global;
            case "torch._utils._rebuild_qtensor":
                throw u.Error("it holds a quantized tensor (torch._utils._rebuild_qtensor), which the hub does not load: libtorch rebuilds it without checking its quantization parameters. Dequantize the model before torch.jit.save");
            case "torch._utils._rebuild_sparse_tensor":
                throw u.Error("it holds a sparse tensor (torch._utils._rebuild_sparse_tensor), which the hub does not load: libtorch builds it without checking its indices. Convert it with tensor.to_dense() before torch.jit.save");
        }
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal))
        {
            if (DTypes.FromStorageClass(name) is not null) return global;
            throw u.Error($"it has a storage of type torch.{name}, which the hub does not load (only storages of {DTypes.AllTorchNames})");
        }
        if (module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal))
        {
            if (!QualifiedName().IsMatch(module) || !Identifier().IsMatch(name))
                throw u.Error($"it refers to the TorchScript class '{Shorten(global.FullName)}', which is not a dotted name of identifiers as torch.jit.save writes");
            if (module == "__torch__.torch.classes" || module.StartsWith("__torch__.torch.classes.", StringComparison.Ordinal))
                throw u.Error($"it holds an object of the custom C++ class {global.FullName} (torch.classes, e.g. prepacked or quantized weights), which the hub does not load: its native __setstate__ would run on state the hub cannot check");
            return global;
        }
        throw u.Error($"it refers to the global '{Shorten(global.FullName)}', which a TorchScript archive never contains: libtorch builds only the archive's own classes (__torch__.*) and torch's tensor and list rebuilders, and the hub refuses anything else (os.system, builtins.eval, subprocess.Popen...) by name");
    }

    public override object? Reduce(Unpickler u, PyGlobal func, PyTuple args)
    {
        switch (func.FullName)
        {
            case "torch._utils._rebuild_tensor_v2":
                return RebuildTensor(u, args);
            case "collections.OrderedDict":
                // Only a tensor's (empty) backward hooks; libtorch replaces the call's result by None.
                if (args.Count != 0) throw u.Error($"it calls collections.OrderedDict with {args.Count} arguments; torch.jit.save only writes an empty one, for a tensor's backward hooks");
                return null;
            case "torch.jit._pickle.restore_type_tag":
                if (args.Count != 2 || args[0] is not (PyDict or List<object?>) || args[1] is not string type)
                    throw u.Error("it calls torch.jit._pickle.restore_type_tag with arguments other than (a dict or list, a type name)");
                TypeName.Check(type, args[0] is PyDict ? "Dict" : "List", isClass,
                    problem => u.Error($"it tags a {(args[0] is PyDict ? "dict" : "list")} with the type '{Shorten(type)}', which {problem}; libtorch would fail to parse it in a way that ends the process"));
                return args[0];
            case "builtins.complex":
                if (args.Count != 2 || args[0] is not double real || args[1] is not double imaginary)
                    throw u.Error("it calls builtins.complex with arguments other than two floats");
                return new PyComplex(real, imaginary);
            case "torch.device":
                if (args.Count != 1 || args[0] is not string device || !DeviceName().IsMatch(device))
                    throw u.Error($"it calls torch.device with {(args.Count == 1 ? Unpickler.Describe(args[0]) : $"{args.Count} arguments")}, which is not a device name such as 'cpu' or 'cuda:0'");
                return new PyDevice(device);
        }
        if (func.Module == "torch.jit._pickle" && ListBuilders.Contains(func.Name))
        {
            if (args.Count != 1 || args[0] is not List<object?> list) throw u.Error($"it calls {func} with arguments other than one list");
            foreach (var item in list)
            {
                bool fits = func.Name switch
                {
                    "build_intlist" => item is long,
                    "build_doublelist" => item is double,
                    "build_boollist" => item is bool,
                    _ => item is TensorSpec,
                };
                if (!fits) throw u.Error($"it calls {func} on a list holding a {Unpickler.TypeName(item)}");
            }
            return list;
        }
        throw u.Error($"it calls {Shorten(func.FullName)}, which torch.jit.save never calls with REDUCE");
    }

    public override object? NewObject(Unpickler u, object? cls, object? args)
    {
        if (cls is not PyGlobal { Module: var module } g || !(module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal)))
            throw u.Error($"it instantiates {Unpickler.Describe(cls)} with NEWOBJ; only the archive's own TorchScript classes (__torch__.*) are");
        if (args is not PyTuple { Count: 0 }) throw u.Error($"it instantiates {g.FullName} with arguments; torch.jit.save passes none (the state follows in BUILD)");
        return new PendingObject(g);
    }

    public override object? Build(Unpickler u, object? instance, object? state)
    {
        if (instance is not PendingObject pending)
            throw u.Error($"it applies BUILD to a {Unpickler.TypeName(instance)}; torch.jit.save only builds the objects it has just created with NEWOBJ");
        return new ScriptObject(pending.Class, state);
    }

    public override object? PersistentLoad(Unpickler u, PyTuple id)
    {
        if (kind == ScriptPickleKind.Debug) throw u.Error("it refers to a storage; a debug_pkl holds no tensors");
        if (id.Count != 5)
            throw u.Error($"a storage persistent id has {id.Count} fields; torch.jit.save writes 5 ('storage', type, key, location, numel)");
        if (id[1] is not PyGlobal { Module: "torch" } type || DTypes.FromStorageClass(type.Name) is not { } dtype)
            throw u.Error($"a storage persistent id has type {Unpickler.Describe(id[1])} where torch.jit.save writes a torch.<Type>Storage");
        if (id[2] is not string key || !StorageKey().IsMatch(key))
            throw u.Error($"a storage key is {Unpickler.Describe(id[2])}, not a plain name of letters and digits as torch.jit.save writes");
        if (id[3] is not string location || !DeviceName().IsMatch(location))
            throw u.Error($"storage '{key}' has the location {Unpickler.Describe(id[3])}, which is not a device name such as 'cpu' or 'cuda:0'");
        if (id[4] is not long numel || numel < 0)
            throw u.Error($"storage '{key}' gives its element count as {Unpickler.Describe(id[4])}, not a non-negative integer");
        long bytes;
        try
        {
            bytes = checked(numel * DTypes.Size(dtype));
        }
        catch (OverflowException)
        {
            throw u.Error($"storage '{key}' claims {numel} elements of {DTypes.Torch(dtype)}, more bytes than any file can hold");
        }
        // libtorch reads no record for an empty storage.
        if (numel > 0)
        {
            var record = storageRecord(key)
                ?? throw u.Error($"it refers to storage '{key}' but the archive has no member '{storageFolder}{key}'; it is incomplete");
            if (record.UncompressedSize < bytes)
                throw u.Error($"storage '{key}' claims {numel} elements of {DTypes.Torch(dtype)} ({bytes} bytes) but its member '{record.Name}' holds {record.UncompressedSize} bytes; libtorch would read past it");
        }
        return new StorageRef(key, dtype, numel);
    }

    /// <summary>_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    private static TensorSpec RebuildTensor(Unpickler u, PyTuple args)
    {
        if (args.Count is not (6 or 7)) throw u.Error($"it calls torch._utils._rebuild_tensor_v2 with {args.Count} arguments; torch.jit.save passes 6 or 7");
        if (args[0] is not StorageRef storage) throw u.Error($"it rebuilds a tensor from a {Unpickler.TypeName(args[0])} instead of a storage");
        if (args[1] is not long offset || offset < 0) throw u.Error($"a tensor of storage '{storage.Key}' has the storage offset {Unpickler.Describe(args[1])}, not a non-negative integer");
        long[] shape = Integers(u, args[2], "size", storage.Key);
        long[] strides = Integers(u, args[3], "stride", storage.Key);
        if (shape.Length != strides.Length)
            throw u.Error($"a tensor of storage '{storage.Key}' has a size of {shape.Length} dimensions but a stride of {strides.Length}");
        if (args[4] is not bool) throw u.Error($"a tensor of storage '{storage.Key}' has requires_grad {Unpickler.Describe(args[4])}, not a bool");
        if (args[5] is not null) throw u.Error($"a tensor of storage '{storage.Key}' has backward hooks, which torch.jit.save never writes");
        if (args.Count == 7)
        {
            // Math bits (conj, neg) that libtorch sets on the tensor.
            if (args[6] is not PyDict metadata || metadata.Items.Any(kv => kv.Key is not string || kv.Value is not bool))
                throw u.Error($"a tensor of storage '{storage.Key}' has metadata {Unpickler.TypeName(args[6])} that is not a dict of flags");
        }
        return new TensorSpec(storage, offset, shape, strides);
    }

    private static long[] Integers(Unpickler u, object? value, string what, string key)
    {
        if (value is not PyTuple t) throw u.Error($"a tensor of storage '{key}' has a {what} that is a {Unpickler.TypeName(value)}, not a tuple of integers");
        if (t.Count > ArchiveLimits.MaxTensorDimensions)
            throw u.Error($"a tensor of storage '{key}' has {t.Count} dimensions; the hub accepts at most {ArchiveLimits.MaxTensorDimensions}");
        var result = new long[t.Count];
        for (int i = 0; i < t.Count; i++)
        {
            if (t[i] is not long n || n < 0)
                throw u.Error($"a tensor of storage '{key}' has {Unpickler.Describe(t[i])} in its {what}, where PyTorch writes a non-negative integer");
            result[i] = n;
        }
        return result;
    }


    internal static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;

    [GeneratedRegex(@"^__torch__(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex StorageKey();

    [GeneratedRegex(@"^(cpu|cuda|meta|mps|xpu|hpu|privateuseone)(:[0-9]{1,4})?$")]
    private static partial Regex DeviceName();
}
