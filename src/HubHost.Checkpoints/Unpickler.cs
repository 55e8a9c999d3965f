using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>A global the pickle referenced (only allow-listed ones are ever created).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";

    public override string ToString() => FullName;
}

/// <summary>A Python tuple.</summary>
internal sealed class PyTuple(object?[] items)
{
    public object?[] Items { get; } = items;

    public int Count => Items.Length;

    public object? this[int i] => Items[i];
}

/// <summary>A Python dict or collections.OrderedDict, in insertion order.</summary>
internal sealed class PyDict(bool ordered)
{
    public bool IsOrderedDict { get; } = ordered;

    public OrderedDictionary<object, object?> Items { get; } = new(PyKeyComparer.Instance);
}

/// <summary>Equality of dict keys: strings and integers by value, everything else by reference.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => x is string or long or BigInteger or bool or double ? x.Equals(y) : ReferenceEquals(x, y);

    public int GetHashCode(object obj) => obj is string or long or BigInteger or bool or double ? obj.GetHashCode() : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}

/// <summary>A Python set (only ever empty: the allow-list gives no way to fill one).</summary>
internal sealed class PySet;

/// <summary>
/// A storage named by a persistent id ('storage', type, key, location, numel[, view]): bytes are bound by
/// the format reader after unpickling (<see cref="Storage"/>), once per key however many tensors share it.
/// </summary>
internal sealed class StorageRef(string key, ScalarType dtype, long numel)
{
    public string Key { get; } = key;

    public ScalarType DType { get; } = dtype;

    public long Numel { get; } = numel;

    /// <summary>The 1-D tensor holding the storage's elements (owned by the reader; tensors are views of it).</summary>
    public Tensor? Storage { get; set; }

    /// <summary>For legacy storage views: the storage this one is a slice of, and where (in elements).</summary>
    public StorageRef? ViewOf { get; init; }

    public long ViewOffset { get; init; }
}

/// <summary>A tensor as described by _rebuild_tensor(_v2): created once its storage's bytes are bound.</summary>
internal sealed class TensorSpec(StorageRef storage, long storageOffset, long[] shape, long[] strides)
{
    public StorageRef Storage { get; } = storage;

    public long StorageOffset { get; } = storageOffset;

    public long[] Shape { get; } = shape;

    public long[] Strides { get; } = strides;
}

/// <summary>
/// A restricted unpickler: a stack machine for the pickle opcodes that never imports or calls anything itself.
/// What a pickle may construct and call (its globals, REDUCE, NEWOBJ, BUILD, persistent ids, and which opcodes
/// it may use at all) is decided by <see cref="UnpicklerRules"/>: <see cref="WeightsOnlyRules"/> for torch.save
/// checkpoints (PyTorch's <c>torch.load(weights_only=True)</c>), the TorchScript archive check's own rules
/// for torch.jit.save archives. Everything the rules do not accept fails with an error naming what was refused.
/// The stack machine is iterative, so nesting depth cannot overflow the call stack, and every length is
/// checked against the bytes left before anything is allocated.
/// </summary>
internal sealed class Unpickler
{
    /// <summary>A bound on the stack (it is also bounded by the pickle's size: every push costs a byte).</summary>
    private const int MaxStack = 50_000_000;

    private readonly PickleReader _in;
    private readonly UnpicklerRules _rules;
    private readonly string _name;
    private readonly Dictionary<long, object?> _memo = new();
    private readonly Stack<List<object?>> _metastack = new();
    private List<object?> _stack = new();

    private Unpickler(PickleReader input, UnpicklerRules rules, string name)
    {
        _in = input;
        _rules = rules;
        _name = name;
    }

    /// <summary>
    /// Unpickles one object from <paramref name="input"/> with PyTorch's weights_only rules, stopping after its STOP
    /// opcode; persistent ids are storages handed to <paramref name="persistentLoad"/>.
    /// </summary>
    public static object? Load(PickleReader input, Func<PyTuple, StorageRef> persistentLoad, string name)
        => Load(input, new WeightsOnlyRules(persistentLoad), name);

    /// <summary>Unpickles one object from <paramref name="input"/> under <paramref name="rules"/>, stopping after its STOP opcode.</summary>
    public static object? Load(PickleReader input, UnpicklerRules rules, string name)
        => new Unpickler(input, rules, name).Run();

    /// <summary>Where the next opcode starts (for messages).</summary>
    public long Position => _in.Position;

    /// <summary>An error naming the pickle and what is wrong with it.</summary>
    public CheckpointFormatException Error(string problem) => new(_name, problem);

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStack) throw Error($"the pickle's stack grows beyond {MaxStack} items; refusing to continue.");
        _stack.Add(value);
    }

    private object? Pop()
    {
        if (_stack.Count == 0) throw Error($"the pickle pops an empty stack at byte {_in.Position}; it is corrupt.");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Top()
    {
        if (_stack.Count == 0) throw Error($"the pickle reads an empty stack at byte {_in.Position}; it is corrupt.");
        return _stack[^1];
    }

    private List<object?> PopMark()
    {
        if (_metastack.Count == 0) throw Error($"the pickle closes a MARK it never opened at byte {_in.Position}; it is corrupt.");
        var items = _stack;
        _stack = _metastack.Pop();
        return items;
    }

    private object? Run()
    {
        while (true)
        {
            long at = _in.Position;
            byte op = _in.ReadByte();
            if (_rules.RefuseOpcode(op, at) is { } refusal) throw Error(refusal);
            switch (op)
            {
                case 0x80: // PROTO
                    int proto = _in.ReadByte();
                    if (proto > 5) throw Error($"the pickle uses protocol {proto}; at most 5 is known.");
                    _rules.Protocol(this, proto);
                    break;
                case 0x95: // FRAME: an 8-byte length; the frame's opcodes follow inline.
                    _in.ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    if (_rules.SingleResult && (_stack.Count != 1 || _metastack.Count != 0))
                        throw Error($"the pickle stops with {_stack.Count} values on its stack and {_metastack.Count} open MARKs; a pickle ends with exactly one value. It is corrupt.");
                    return Pop();
                case (byte)'(': // MARK
                    _metastack.Push(_stack);
                    _stack = new List<object?>();
                    break;
                case (byte)'}': Push(new PyDict(ordered: false)); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': Push(new PyTuple([])); break; // EMPTY_TUPLE
                case 0x8f: Push(new PySet()); break; // EMPTY_SET
                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(_in.ReadBytes(4))); break; // BININT
                case (byte)'K': Push((long)_in.ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(_in.ReadBytes(2))); break; // BININT2
                case 0x8a: // LONG1
                {
                    int n = _in.ReadByte();
                    var big = new BigInteger(_in.ReadBytes(n), isUnsigned: false, isBigEndian: false);
                    // (object): without it the conditional is a BigInteger, and every LONG1 stayed one.
                    Push(big >= long.MinValue && big <= long.MaxValue ? (object)(long)big : big);
                    break;
                }
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(_in.ReadBytes(8))); break; // BINFLOAT
                case (byte)'X': Push(ReadUtf8(BinaryPrimitives.ReadUInt32LittleEndian(_in.ReadBytes(4)))); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(_in.ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: // BINUNICODE8
                {
                    ulong n = BinaryPrimitives.ReadUInt64LittleEndian(_in.ReadBytes(8));
                    Push(ReadUtf8(n));
                    break;
                }
                case (byte)'U': Push(ReadUtf8(_in.ReadByte())); break; // SHORT_BINSTRING (decoded as torch.load does, utf-8)
                case (byte)'C': Push(_in.ReadBytes(_in.ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': // BINBYTES
                {
                    uint n = BinaryPrimitives.ReadUInt32LittleEndian(_in.ReadBytes(4));
                    _in.CheckAvailable(n, "a bytes object");
                    Push(_in.ReadBytes((int)n).ToArray());
                    break;
                }
                case 0x85: Push(new PyTuple([Pop()])); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; } // TUPLE3
                case (byte)'t': Push(new PyTuple(PopMark().ToArray())); break; // TUPLE
                case (byte)'l': Push(PopMark()); break; // LIST
                case (byte)'a': // APPEND
                {
                    var item = Pop();
                    if (Top() is not List<object?> list) throw Error($"APPEND to a {TypeName(Top())}: only lists can be appended to.");
                    list.Add(item);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopMark();
                    if (Top() is not List<object?> list) throw Error($"APPENDS to a {TypeName(Top())}: only lists can be extended.");
                    list.AddRange(items);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    SetItem(Top(), key, value);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Error("SETITEMS with an odd number of items; the pickle is corrupt.");
                    var target = Top();
                    for (int i = 0; i < items.Count; i += 2) SetItem(target, items[i], items[i + 1]);
                    break;
                }
                case (byte)'q': Memoize(_in.ReadByte()); break; // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(_in.ReadBytes(4))); break; // LONG_BINPUT
                case 0x94: Memoize(_memo.Count); break; // MEMOIZE
                case (byte)'h': Push(Memo(_in.ReadByte())); break; // BINGET
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(_in.ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Top()); break; // DUP
                case (byte)'c': // GLOBAL
                {
                    string module = _in.ReadLine();
                    string name = _in.ReadLine();
                    Push(_rules.Global(this, module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Error("STACK_GLOBAL with a module or name that is not a string; the pickle is corrupt.");
                    Push(_rules.Global(this, m, n));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var args = Pop();
                    var func = Pop();
                    if (func is not PyGlobal g) throw Error($"REDUCE calls a {TypeName(func)}, which is not an allowed function.");
                    if (args is not PyTuple t) throw Error($"REDUCE calls {g} with {TypeName(args)} arguments instead of a tuple; the pickle is corrupt.");
                    Push(_rules.Reduce(this, g, t));
                    break;
                }
                case 0x81: // NEWOBJ
                {
                    var args = Pop();
                    var cls = Pop();
                    Push(_rules.NewObject(this, cls, args));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    _stack[^1] = _rules.Build(this, Top(), state);
                    break;
                }
                case (byte)'Q': // BINPERSID
                {
                    var pid = Pop();
                    if (pid is not PyTuple t || t.Count == 0 || t[0] is not string kind)
                        throw Error($"persistent id {TypeName(pid)} is not a ('storage', ...) tuple.");
                    if (kind != "storage") throw Error($"persistent id of kind '{kind}': only 'storage' is allowed.");
                    Push(_rules.PersistentLoad(this, t));
                    break;
                }
                default:
                    throw Error($"the pickle uses opcode 0x{op:x2} at byte {at}, which the restricted unpickler does not accept.");
            }
        }
    }

    private string ReadUtf8(ulong length)
    {
        _in.CheckAvailable(length, "a string");
        var bytes = _in.ReadBytes((int)length);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error($"a string at byte {_in.Position - (long)length} is not valid UTF-8; the pickle is corrupt.");
        }
    }

    private object? Memo(long index)
        => _memo.TryGetValue(index, out var value) ? value : throw Error($"the pickle reads memo slot {index}, which was never written; it is corrupt.");

    private void Memoize(long index)
    {
        var value = Top();
        if (_rules.SequentialMemo && index > _memo.Count)
            throw Error($"the pickle writes memo slot {index} while only {_memo.Count} are filled; pickles number their memo slots in order, so it is corrupt.");
        _rules.Memoize(this, value);
        _memo[index] = value;
    }

    /// <summary>dict[key] = value, refusing non-dicts and unhashable keys.</summary>
    public void SetItem(object? target, object? key, object? value)
    {
        if (target is not PyDict dict) throw Error($"SETITEM on a {TypeName(target)}: only dicts can be assigned to.");
        if (key is null or List<object?> or PyDict) throw Error($"a dict key is {TypeName(key)}, which is not hashable.");
        dict.Items[key] = value;
    }

    /// <summary>A short description of a value for messages: its value for numbers and strings, else its type.</summary>
    internal static string Describe(object? value) => value switch
    {
        PyGlobal g => g.FullName,
        long or BigInteger or bool => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + (double.IsFinite(d) && d == Math.Floor(d) ? ".0" : ""),
        string str => "'" + (str.Length > 40 ? str[..40] + "..." : str) + "'",
        _ => TypeName(value),
    };

    internal static string TypeName(object? value) => value switch
    {
        null => "None",
        string => "str",
        long or BigInteger => "int",
        bool => "bool",
        double => "float",
        byte[] => "bytes",
        PyTuple => "tuple",
        List<object?> => "list",
        PyDict { IsOrderedDict: true } => "OrderedDict",
        PyDict => "dict",
        PySet => "set",
        PyGlobal g => g.FullName,
        StorageRef => "storage",
        TensorSpec => "tensor",
        _ => value.GetType().Name,
    };
}

/// <summary>
/// What a <see cref="Unpickler"/> accepts beyond plain data: the globals a pickle may name, what REDUCE, NEWOBJ
/// and BUILD do with them, persistent ids, and which opcodes may appear at all. Each kind of file has its own
/// rules; anything they do not accept is refused with an error naming it, never constructed or called.
/// </summary>
internal abstract class UnpicklerRules
{
    /// <summary>A reason to refuse <paramref name="opcode"/> at byte <paramref name="position"/> before it runs, or null.</summary>
    public virtual string? RefuseOpcode(byte opcode, long position) => null;

    /// <summary>Checks the protocol a PROTO opcode declares (at most 5 reaches here).</summary>
    public virtual void Protocol(Unpickler u, int protocol) { }

    /// <summary>Whether memo slots must be written in order (slot n only once slots 0..n-1 are), as torch writes them.</summary>
    public virtual bool SequentialMemo => false;

    /// <summary>Whether STOP must find exactly one value on the stack and no open MARK.</summary>
    public virtual bool SingleResult => false;

    /// <summary>The value a GLOBAL (or STACK_GLOBAL) pushes for <paramref name="module"/>.<paramref name="name"/>; throws for anything not allowed.</summary>
    public abstract object Global(Unpickler u, string module, string name);

    /// <summary>What REDUCE of <paramref name="func"/> (a global this rule set allowed) with <paramref name="args"/> produces.</summary>
    public abstract object? Reduce(Unpickler u, PyGlobal func, PyTuple args);

    /// <summary>What NEWOBJ of <paramref name="cls"/> with <paramref name="args"/> produces.</summary>
    public abstract object? NewObject(Unpickler u, object? cls, object? args);

    /// <summary>What BUILD of <paramref name="instance"/> with <paramref name="state"/> leaves in its place on the stack.</summary>
    public abstract object? Build(Unpickler u, object? instance, object? state);

    /// <summary>The value a persistent id (a tuple whose first item is 'storage') stands for.</summary>
    public abstract object? PersistentLoad(Unpickler u, PyTuple id);

    /// <summary>Checks a value the pickle stores in its memo.</summary>
    public virtual void Memoize(Unpickler u, object? value) { }
}

/// <summary>
/// PyTorch's <c>torch.load(weights_only=True)</c> (torch/_weights_only_unpickler.py): globals are looked up in
/// an allow-list and never imported; REDUCE only calls allow-listed rebuild functions (implemented here, not
/// looked up); NEWOBJ only builds torch.nn.Parameter; BUILD only updates tensors, parameters and OrderedDicts;
/// APPEND(S) only extends lists; persistent ids must be storages.
/// </summary>
internal sealed class WeightsOnlyRules(Func<PyTuple, StorageRef> persistentLoad) : UnpicklerRules
{
    /// <summary>Allow-listed globals (PyTorch 1.13's list plus _rebuild_parameter_with_state).</summary>
    private static readonly HashSet<string> Allowed = BuildAllowList();

    private static HashSet<string> BuildAllowList()
    {
        var set = new HashSet<string>(StringComparer.Ordinal)
        {
            "collections.OrderedDict", "torch.nn.parameter.Parameter", "torch.serialization._get_layout", "torch.Size", "torch.Tensor",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_meta_tensor_no_storage",
            "torch._utils._rebuild_sparse_csr_tensor",
        };
        foreach (var dtype in new[] { "complex32", "complex64", "complex128", "float16", "float32", "float64", "int8", "int16", "int32", "int64" })
            set.Add("torch." + dtype);
        foreach (var kind in new[] { "Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool", "ComplexFloat", "ComplexDouble", "QUInt8", "QInt8", "QInt32", "QUInt4x2", "QUInt2x4" })
        {
            set.Add($"torch.{kind}Storage");
            set.Add($"torch.cuda.{kind}Storage");
            set.Add($"torch.{kind}Tensor");
            set.Add($"torch.cuda.{kind}Tensor");
        }
        set.Add("torch.UntypedStorage");
        set.Add("torch.cuda.UntypedStorage");
        return set;
    }

    public override object? PersistentLoad(Unpickler u, PyTuple id) => persistentLoad(id);

    public override object? NewObject(Unpickler u, object? cls, object? args)
    {
        if (cls is not PyGlobal { FullName: "torch.nn.parameter.Parameter" })
            throw u.Error($"the pickle instantiates {Unpickler.Describe(cls)}; only torch.nn.Parameter may be created with NEWOBJ.");
        if (args is not PyTuple t || t.Count < 1 || t[0] is not TensorSpec data)
            throw u.Error("the pickle creates a torch.nn.Parameter without a tensor; the pickle is corrupt.");
        return data;
    }

    public override object? Build(Unpickler u, object? instance, object? state)
    {
        switch (instance)
        {
            case PyDict { IsOrderedDict: true }:
                // torch attaches _metadata (module versions) to state dicts: accepted and ignored.
                if (state is not (PyDict or null))
                    throw u.Error($"BUILD of an OrderedDict with {Unpickler.TypeName(state)} state; expected a dict of attributes such as _metadata.");
                return instance;
            case TensorSpec:
                // Parameter.__setstate__ / legacy Tensor.set_: only the no-op forms are accepted.
                if (state is not (null or PyDict { Items.Count: 0 } or PyTuple { Count: 0 }))
                    throw u.Error("BUILD on a tensor with state (a tensor subclass or a legacy set_ call), which HubHost does not support.");
                return instance;
            default:
                throw u.Error($"BUILD on a {Unpickler.TypeName(instance)}: only tensors, parameters and OrderedDicts can be built.");
        }
    }

    public override object Global(Unpickler u, string module, string name)
    {
        string full = $"{module}.{name}";
        if (Allowed.Contains(full)) return new PyGlobal(module, name);
        string hint = module == "__main__" || module.StartsWith("torch.nn.modules", StringComparison.Ordinal) || module.StartsWith("torchvision", StringComparison.Ordinal)
            ? " This file looks like a whole model saved with torch.save(model); save model.state_dict() instead."
            : " Only state dicts of tensors can be loaded; nothing outside PyTorch's weights_only allow-list is ever constructed or called.";
        throw u.Error($"the pickle refers to the global '{full}', which is not allowed.{hint}");
    }

    public override object? Reduce(Unpickler u, PyGlobal func, PyTuple args)
    {
        switch (func.FullName)
        {
            case "collections.OrderedDict":
            {
                var dict = new PyDict(ordered: true);
                if (args.Count == 1 && args[0] is List<object?> pairs)
                {
                    foreach (var p in pairs)
                    {
                        if (p is not PyTuple { Count: 2 } kv) throw u.Error("OrderedDict built from something other than (key, value) pairs.");
                        u.SetItem(dict, kv[0], kv[1]);
                    }
                }
                else if (args.Count != 0) throw u.Error($"OrderedDict called with {args.Count} arguments; the pickle is corrupt.");
                return dict;
            }
            case "torch._utils._rebuild_tensor_v2" when args.Count is 6 or 7:
            case "torch._utils._rebuild_tensor" when args.Count == 4:
                return RebuildTensor(u, func, args);
            case "torch._utils._rebuild_parameter" when args.Count == 3:
            case "torch._utils._rebuild_parameter_with_state" when args.Count == 4:
                return args[0] as TensorSpec ?? throw u.Error($"{func} called without a tensor; the pickle is corrupt.");
            case "torch.Size" when args.Count <= 1:
                return args.Count == 0 ? new PyTuple([]) : args[0];
            default:
                if (func.FullName is "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_tensor" or "torch._utils._rebuild_parameter" or "torch._utils._rebuild_parameter_with_state" or "torch.Size")
                    throw u.Error($"{func} called with {args.Count} arguments; the pickle is corrupt.");
                throw u.Error($"the pickle calls {func}, which PyTorch's weights_only loader allows but HubHost does not support (only dense tensors of {DTypes.AllTorchNames}). Convert the tensor to a dense one (tensor.to_dense()) and save the state dict again.");
        }
    }

    private static TensorSpec RebuildTensor(Unpickler u, PyGlobal func, PyTuple args)
    {
        if (args[0] is not StorageRef storage) throw u.Error($"{func} called with {Unpickler.TypeName(args[0])} instead of a storage; the pickle is corrupt.");
        long offset = ToLong(u, args[1], "storage offset");
        long[] shape = ToLongs(u, args[2], "size");
        long[] strides = ToLongs(u, args[3], "stride");
        if (shape.Length != strides.Length) throw u.Error($"a tensor has size of {shape.Length} dimensions but stride of {strides.Length}; the pickle is corrupt.");
        if (func.Name == "_rebuild_tensor_v2" && args[5] is not (PyDict or null))
            throw u.Error("a tensor has backward hooks that are not a dict; the pickle is corrupt.");
        return new TensorSpec(storage, offset, shape, strides);
    }

    internal static long ToLong(Unpickler u, object? value, string what) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        BigInteger big => throw u.Error($"a tensor's {what} is the integer {big}, outside the 64-bit range every PyTorch size, stride and offset lies in; the pickle is corrupt or was not written by torch.save. Download or save the checkpoint again."),
        _ => throw u.Error($"a tensor's {what} is {Unpickler.Describe(value)} ({Unpickler.TypeName(value)}) where PyTorch writes an integer; the pickle is corrupt or was not written by torch.save. Download or save the checkpoint again."),
    };

    internal static long[] ToLongs(Unpickler u, object? value, string what)
    {
        if (value is not PyTuple t) throw u.Error($"a tensor's {what} is {Unpickler.TypeName(value)}, not a tuple of integers; the pickle is corrupt or was not written by torch.save. Download or save the checkpoint again.");
        var result = new long[t.Count];
        for (int i = 0; i < t.Count; i++)
        {
            result[i] = ToLong(u, t[i], what);
            if (result[i] < 0) throw u.Error($"a tensor's {what} contains {result[i]}; PyTorch never saves negative sizes or strides, so the pickle is corrupt. Download or save the checkpoint again.");
        }
        return result;
    }
}

/// <summary>Reads a pickle from a range of a <see cref="ByteSource"/> through a small buffer.</summary>
internal sealed class PickleReader
{
    private readonly ByteSource _source;
    private readonly long _end;
    private readonly byte[] _buffer = new byte[1 << 16];
    private long _bufferStart;
    private int _bufferLength;

    public PickleReader(ByteSource source, long start, long length)
    {
        source.CheckRange(start, length, "the pickle");
        _source = source;
        Position = start;
        _end = start + length;
        _bufferStart = start;
    }

    public long Position { get; private set; }

    public void CheckAvailable(ulong length, string what)
    {
        if (length > (ulong)(_end - Position))
            throw _source.Error($"the pickle declares {what} of {length} bytes at byte {Position}, past the end of the pickle; it is truncated or corrupt.");
    }

    public byte ReadByte() => ReadBytes(1)[0];

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        CheckAvailable((ulong)count, "data");
        long offsetInBuffer = Position - _bufferStart;
        if (offsetInBuffer < 0 || offsetInBuffer + count > _bufferLength)
        {
            if (count > _buffer.Length)
            {
                var big = new byte[count];
                _source.Read(Position, big, "the pickle");
                Position += count;
                return big;
            }
            _bufferStart = Position;
            _bufferLength = (int)Math.Min(_buffer.Length, _end - Position);
            _source.Read(Position, _buffer.AsSpan(0, _bufferLength), "the pickle");
            offsetInBuffer = 0;
        }
        Position += count;
        return _buffer.AsSpan((int)offsetInBuffer, count);
    }

    /// <summary>A text line (GLOBAL's module or name), at most 1024 bytes.</summary>
    public string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            byte b = ReadByte();
            if (b == (byte)'\n') return sb.ToString();
            if (sb.Length >= 1024) throw _source.Error("a GLOBAL name in the pickle is longer than 1024 bytes; it is corrupt.");
            sb.Append((char)b);
        }
    }
}
