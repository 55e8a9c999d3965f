using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using HubHost.Checkpoints;
using HubHost.TorchScript;

namespace HubHost.Checkpoints.Tests;

/// <summary>
/// The TorchScript archive check (src/HubHost/TorchScript): archives torch 1.13 wrote pass it and load in libtorch
/// 2.10 with PyTorch's outputs; every malformed, truncated or hostile archive is one HubException naming the file and
/// what is wrong, and the process survives. Several hostile archives here crash the process when libtorch reads
/// them unchecked (measured: a missing attribute, a version number past 64 bits, a debug_pkl text index past its
/// table), so a check that stopped catching them fails the whole test run.
/// </summary>
public sealed class ScriptArchiveTests
{
    public static TheoryData<string> TorchArchives =>
    [
        "small_scripted", "small_traced", "segmentation_traced", "attributes_scripted", "constants_traced", "setstate_scripted",
        "text_encoder_scripted", "mobilenet_v3_small_scripted",
    ];

    [Theory]
    [MemberData(nameof(TorchArchives))]
    public void Archives_torch_wrote_pass_the_check_and_load_with_pytorchs_outputs(string name)
    {
        var path = Fixtures.Path($"torchscript/{name}.pt");
        ScriptArchive.Check(path);
        using var module = ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe);
        using var input = Npy.Load(Fixtures.Path($"torchscript/{name}_input.npy"));
        using var expected = Npy.Load(Fixtures.Path($"torchscript/{name}_output.npy"));
        using var _ = no_grad();
        using var output = module.call(input);
        Assert.Equal(expected.shape, output.shape);
        double scale = 1 + expected.abs().max().item<float>();
        double difference = (output - expected).abs().max().item<float>();
        Assert.True(difference <= 1e-4 * scale, $"{name}: max difference {difference} from PyTorch's output");
    }

    [Fact]
    public void The_hand_built_archive_the_hostile_cases_start_from_passes_and_loads()
    {
        using var dir = new TempDir();
        var path = Minimal.Write(dir, Minimal.Members());
        using var module = ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe);
        using var output = module.call(torch.zeros(4));
        Assert.Equal([1f, 2f, 3f, 4f], output.data<float>().ToArray());
    }

    [Fact]
    public void A_file_that_is_not_an_archive_says_what_it_is()
    {
        using var dir = new TempDir();
        AssertRefused(Write(dir, "empty.pt", []), "the file is empty");
        AssertRefused(Write(dir, "text.pt", "hello world, not a zip"u8.ToArray()), "it is not a zip archive");
        AssertRefused(Fixtures.Path("checkpoints/views.pt"), "it is a torch.save file");
        AssertRefused(Fixtures.Path("checkpoints/views_legacy.pt"), "it is a pickle written by torch.save");
        AssertRefused(Fixtures.Path("checkpoints/npy_f4.npy"), "numpy .npy array");
        var bytes = File.ReadAllBytes(Fixtures.Path("torchscript/small_scripted.pt"));
        AssertRefused(Write(dir, "prefixed.pt", [.. "junk"u8.ToArray(), .. bytes]), "it is not a zip archive");
    }

    [Fact]
    public void A_truncated_archive_is_one_error_wherever_it_was_cut()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Path("torchscript/small_scripted.pt"));
        foreach (int length in new[] { 1, 3, 4, 30, 100, bytes.Length / 4, bytes.Length / 2, bytes.Length - 200, bytes.Length - 23, bytes.Length - 1 })
            AssertRefused(Write(dir, $"cut{length}.pt", bytes[..length]), "");
    }

    [Fact]
    public void A_member_whose_bytes_changed_fails_its_crc()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Path("torchscript/small_scripted.pt"));
        foreach (var member in new[] { "small_scripted/data/0", "small_scripted/data.pkl", "small_scripted/code/__torch__.py" })
        {
            var copy = (byte[])bytes.Clone();
            using (var source = new MemorySource("x", copy, copy.Length))
            {
                var zip = ZipReader.Open(source);
                var entry = zip.Find(member)!;
                copy[zip.DataOffset(entry) + entry.CompressedSize / 2] ^= 0x10;
            }
            // A deflated member may fail as deflate data before its checksum is reached.
            AssertRefused(Write(dir, "crc.pt", copy), member.EndsWith(".py", StringComparison.Ordinal) ? $"zip entry '{member}'" : $"zip entry '{member}' fails its CRC-32 check");
        }
    }

    [Theory]
    [InlineData("m/../../../tmp/evil", "leaves the archive")]
    [InlineData("m/code/../../x", "leaves the archive")]
    [InlineData("m/./x", "leaves the archive")]
    [InlineData("/etc/passwd", "absolute name")]
    [InlineData("m\\..\\x", "backslash")]
    [InlineData("C:/x", "colon")]
    [InlineData("m//x", "empty folder")]
    [InlineData("other/x", "outside the archive's folder 'm'")]
    [InlineData("m/DATA.PKL", "appears twice")]
    [InlineData("m/a\u0001b", "control character")]
    public void Member_names_that_leave_the_archive_or_hide_a_member_are_refused(string name, string expected)
    {
        using var dir = new TempDir();
        var members = Minimal.Members();
        members.Add((name, "x"u8.ToArray()));
        AssertRefused(Minimal.Write(dir, members), expected);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("__builtin__", "eval")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("__main__", "TensorID")]
    public void A_pickle_naming_a_global_outside_the_allow_list_is_refused_by_name(string module, string name)
    {
        using var dir = new TempDir();
        var pickle = new PickleWriter().Proto().Global(module, name).Str("id").Op(0x85).Reduce().Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: pickle)), $"'{module}.{name}'");
        // In constants.pkl, which libtorch reads first, too.
        AssertRefused(Minimal.Write(dir, Minimal.Members(constants: pickle)), $"'{module}.{name}'");
    }

    [Theory]
    [InlineData("torch._utils", "_rebuild_qtensor", "quantized tensor")]
    [InlineData("torch._utils", "_rebuild_sparse_tensor", "sparse tensor")]
    [InlineData("__torch__.torch.classes.quantized", "Conv2dPackedParamsBase", "custom C++ class")]
    [InlineData("torch", "QInt8Storage", "storage of type torch.QInt8Storage")]
    [InlineData("torch.jit._pickle", "build_tensor_from_id", "never contains")]
    [InlineData("torch._tensor", "_rebuild_from_type_v2", "never contains")]
    [InlineData("torch.distributed.rpc", "rref", "never contains")]
    public void What_libtorch_would_build_without_checks_is_refused(string module, string name, string expected)
    {
        using var dir = new TempDir();
        var pickle = new PickleWriter().Proto().Global(module, name).EmptyTuple().Reduce().Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: pickle)), expected);
    }

    [Fact]
    public void Opcodes_and_protocols_torch_jit_save_never_writes_are_refused()
    {
        using var dir = new TempDir();
        var stackGlobal = new PickleWriter().Proto().Str("os").Str("system").Op(0x93).Str("id").Op(0x85).Reduce().Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: stackGlobal)), "opcode 0x93");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: new PickleWriter().Op(0x80).Op(4).EmptyTuple().Stop().ToArray())), "protocol 4");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: new PickleWriter().EmptyTuple().Stop().ToArray())), "does not start with a PROTO");
        // Memo slots out of order: libtorch fills the gap with Nones (slot 2^31: bad_alloc, the process ends).
        AssertRefused(Minimal.Write(dir, Minimal.Members(constants: new PickleWriter().Proto().EmptyTuple().Op((byte)'r').Raw(BitConverter.GetBytes(0x7ffffff0)).Stop().ToArray())), "memo slot 2147483632");
        // Two values left on the stack.
        AssertRefused(Minimal.Write(dir, Minimal.Members(constants: new PickleWriter().Proto().EmptyTuple().EmptyTuple().Stop().ToArray())), "exactly one value");
    }

    [Fact]
    public void Values_nested_deeper_than_libtorch_can_free_are_refused()
    {
        using var dir = new TempDir();
        var deep = new PickleWriter().Proto().EmptyTuple();
        for (int i = 0; i < 5000; i++) deep.Op(0x85); // TUPLE1: 1,000,000 of these overflowed libtorch's stack
        AssertRefused(Minimal.Write(dir, Minimal.Members(constants: deep.Stop().ToArray())), "nest more than 1000 deep");
        // A list that contains itself.
        var cycle = new PickleWriter().Proto().Op((byte)']').Op((byte)'q').Op(0).Mark().Op((byte)'h').Op(0).Op((byte)'e').Op(0x85).Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(constants: cycle)), "contains itself");
    }

    [Fact]
    public void Absurd_tensor_sizes_are_refused_before_libtorch_trusts_them()
    {
        using var dir = new TempDir();
        // The storage claims more elements than its record holds: libtorch would read past the record.
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(numel: 1_000_000))), "holds 16 bytes; libtorch would read past it");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(numel: 1L << 62))), "more bytes than any file can hold");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(numel: -1))), "not a non-negative integer");
        // A view past the end of its storage.
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: [400]))), "reaches element 399 of storage '0', which holds only 4");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(offset: 4))), "reaches element 7");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: [2, 2], stride: [3, 1]))), "reaches element 4");
        // Negative, overflowing and too many dimensions.
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: [-4]))), "where PyTorch writes a non-negative integer");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(offset: -1))), "storage offset -1");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: [1L << 40, 1L << 40], stride: [1, 1]))), "than 64-bit sizes can count");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: Enumerable.Repeat(1L, 65).ToArray(), stride: Enumerable.Repeat(1L, 65).ToArray()))), "at most 64");
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: [4], stride: [1, 1]))), "a size of 1 dimensions but a stride of 2");
        // Broadcasting one element (stride 0) is what PyTorch saves for expand(): accepted.
        ScriptArchive.Check(Minimal.Write(dir, Minimal.Members(data: Minimal.Data(shape: [1_000_000, 1_000_000], stride: [0, 0]))));
    }

    [Fact]
    public void Missing_members_are_named()
    {
        using var dir = new TempDir();
        AssertRefused(Minimal.Write(dir, Minimal.Members().Where(m => m.Name != "m/data.pkl")), "has no member 'm/data.pkl'");
        AssertRefused(Minimal.Write(dir, Minimal.Members().Where(m => m.Name != "m/constants.pkl")), "has no member 'm/constants.pkl'");
        AssertRefused(Minimal.Write(dir, Minimal.Members().Where(m => m.Name != "m/version")), "has no member 'm/version'");
        AssertRefused(Minimal.Write(dir, Minimal.Members().Where(m => m.Name != "m/data/0")), "has no member 'm/data/0'");
        AssertRefused(Minimal.Write(dir, Minimal.Members().Where(m => m.Name != "m/code/__torch__.py")), "class __torch__.M, which no code/ member defines");
        AssertRefused(Minimal.Write(dir, [("m/data/0", new byte[16])]), "has no member 'm/data.pkl'");
        AssertRefused(Minimal.Write(dir, [("data.pkl", new byte[16])]), "is not inside a folder");
    }

    [Fact]
    public void An_object_without_an_attribute_its_class_declares_is_refused()
    {
        // libtorch 2.10 looks the attribute up with std::unordered_map::at: std::out_of_range, which TorchSharp does
        // not catch, so the process aborted ("terminate called after throwing an instance of 'std::out_of_range'").
        using var dir = new TempDir();
        var noW = new PickleWriter().Proto().Global("__torch__", "M").EmptyTuple().Op(0x81).EmptyDict().Mark().Str("training").Op(0x89).Op((byte)'u').Op((byte)'b').Stop().ToArray();
        var path = Minimal.Write(dir, Minimal.Members(data: noW));
        var e = Assert.Throws<HubException>(() => ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe));
        Assert.Contains("gives the __torch__.M object no value for its attribute 'w'", e.Message);
        var notADict = new PickleWriter().Proto().Global("__torch__", "M").EmptyTuple().Op(0x81).EmptyTuple().Op((byte)'b').Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: notADict)), "a tuple as state");
        var notBuilt = new PickleWriter().Proto().Global("__torch__", "M").EmptyTuple().Op(0x81).Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: notBuilt)), "never built");
        var reduced = new PickleWriter().Proto().Global("__torch__", "M").EmptyTuple().Reduce().Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: reduced)), "never calls with REDUCE");
        // An Enum "object": libtorch looks the state up among the enum's values and pushes nothing when it is not there.
        var enumCode = Encoding.UTF8.GetBytes(Minimal.Code + "class Color(Enum):\n  RED = 1\n");
        var enumObject = new PickleWriter().Proto().Global("__torch__", "Color").EmptyTuple().Op(0x81).EmptyDict().Op((byte)'b').Stop().ToArray();
        AssertRefused(Minimal.Write(dir, Minimal.Members(data: enumObject, code: enumCode)), "a class based on Enum");
    }

    [Theory]
    [InlineData("11\n", "written by a newer PyTorch")]
    [InlineData("0\n", "reads versions 1 to 10")]
    [InlineData("99999999999999999999999\n", "where torch.jit.save writes a format version number")] // std::stoull: std::out_of_range, the process aborted
    [InlineData("3abc", "where torch.jit.save writes a format version number")]
    [InlineData(" 3\n", "where torch.jit.save writes a format version number")]
    public void Format_versions_libtorch_does_not_read_are_refused(string version, string expected)
    {
        using var dir = new TempDir();
        var path = Minimal.Write(dir, Minimal.Members(version: version));
        var e = Assert.Throws<HubException>(() => ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Libtorch_still_reads_format_versions_up_to_the_checks_bound()
    {
        // ArchiveLimits.MaxFormatVersion is libtorch 2.10's kMaxSupportedFileFormatVersion: if a TorchSharp update
        // changes it, this fails and the bound is updated.
        using var dir = new TempDir();
        var path = Minimal.Write(dir, Minimal.Members(version: $"{ArchiveLimits.MaxFormatVersion + 1}\n"));
        HubHost.Native.TorchNative.EnsureLoaded();
        var e = Assert.Throws<ExternalException>(() => torch.jit.load(path));
        Assert.Contains($"maximum supported version for reading is {ArchiveLimits.MaxFormatVersion}", e.Message);
    }

    [Fact]
    public void The_legacy_format_and_big_endian_archives_are_refused()
    {
        using var dir = new TempDir();
        var legacy = Minimal.Members();
        legacy.Add(("m/model.json", "{}"u8.ToArray()));
        AssertRefused(Minimal.Write(dir, legacy), "pre-1.4 TorchScript format (model.json)");
        var big = Minimal.Members();
        big.Add(("m/byteorder", "big"u8.ToArray()));
        AssertRefused(Minimal.Write(dir, big), "byte order 'big'");
        var little = Minimal.Members();
        little.Add(("m/byteorder", "little"u8.ToArray()));
        ScriptArchive.Check(Minimal.Write(dir, little));
    }

    [Theory]
    [InlineData("nest", "nests brackets more than 100 deep")]
    [InlineData("chain", "chains more than 256 operators")]
    [InlineData("blocks", "nests blocks more than 100 deep")]
    [InlineData("utf8", "is not valid UTF-8")]
    [InlineData("nul", "NUL character")]
    [InlineData("string", "a string that does not end on its line")]
    [InlineData("bracket", "closes a bracket it never opened")]
    public void Code_that_would_overflow_libtorchs_parser_or_is_not_source_is_refused(string kind, string expected)
    {
        // 6,000 nested parentheses or chained additions overflowed libtorch 2.10's stack (SIGSEGV, the process ended).
        string body = kind switch
        {
            "nest" => "    return " + new string('(', 6000) + "torch.add(x, w)" + new string(')', 6000) + "\n",
            "chain" => "    return torch.add(x, w)" + string.Concat(Enumerable.Repeat(" + 0", 6000)) + "\n",
            "blocks" => string.Concat(Enumerable.Range(0, 150).Select(i => new string(' ', 4 + 2 * i) + "if True:\n")) + new string(' ', 4 + 2 * 150) + "return torch.add(x, w)\n",
            "nul" => "    return torch.add(x, w)\0\n",
            "string" => "    _0 = \"abc\n    return torch.add(x, w)\n",
            "bracket" => "    return torch.add(x, w))\n",
            _ => "    return torch.add(x, w)\n",
        };
        var code = Encoding.UTF8.GetBytes(Minimal.Code.Replace("    return torch.add(x, w)\n", body));
        if (kind == "utf8") code = [.. code, 0xff, 0xfe];
        using var dir = new TempDir();
        AssertRefused(Minimal.Write(dir, Minimal.Members(code: code)), expected);
    }

    [Fact]
    public void Code_referring_to_a_class_or_function_no_member_defines_is_refused()
    {
        // libtorch 2.10 aborts the process on any compile error (torch::jit::ErrorReport escapes TorchSharp 0.107);
        // a name the archive does not define is the one kind the check can see without compiling.
        using var dir = new TempDir();
        var code = Encoding.UTF8.GetBytes(Minimal.Code.Replace("    return torch.add(x, w)\n", "    return __torch__.helpers.scale(torch.add(x, w))\n"));
        AssertRefused(Minimal.Write(dir, Minimal.Members(code: code)), "its code refers to __torch__.helpers.scale (m/code/__torch__.py, line 1), which no code/ member defines");
        var withHelper = Minimal.Members(code: code);
        withHelper.Add(("m/code/__torch__/helpers.py", "def scale(x: Tensor) -> Tensor:\n  return torch.mul(x, 2)\n"u8.ToArray()));
        using var module = ScriptArchive.Load<Tensor, Tensor>(Minimal.Write(dir, withHelper), Fixtures.ScriptProbe);
        using var output = module.call(torch.zeros(4));
        Assert.Equal([2f, 4f, 6f, 8f], output.data<float>().ToArray());
    }

    [Theory]
    [InlineData("Dict[str, int]", null)]
    [InlineData("Dict[str, List[Tuple[int, str, float]]]", null)]
    [InlineData("Dict[int, Optional[Tensor]]", null)]
    [InlineData("Dict[str, Tuple[()]]", null)]
    [InlineData("Dict[str, Union[int, str]]", null)]
    [InlineData("Dict[str, __torch__.M]", null)]
    [InlineData("DPct[str, int]", "uses 'DPct[...]', which is not a TorchScript type constructor")] // what afl found: it aborted libtorch
    [InlineData("Dict[str, Nope]", "names 'Nope', which is neither a TorchScript built-in type nor a class")]
    [InlineData("Dict[str, __torch__.Missing]", "names '__torch__.Missing'")]
    [InlineData("Dict[str, __torch__.torch.classes.ns.Packed]", "names '__torch__.torch.classes.ns.Packed'")]
    [InlineData("Dict[str]", "gives Dict 1 type arguments")]
    [InlineData("List[int]", "is not a Dict[...] type")]
    [InlineData("Dict[str, int]]", "has ']' after its end")]
    [InlineData("Dict[str, int", "has an unclosed or malformed [...]")]
    [InlineData("Dict[str, (int)]", "has '(' where a type name belongs")]
    public void The_type_a_dict_is_tagged_with_must_be_one_libtorch_parses(string type, string? refusal)
    {
        var data = Minimal.Data(extra: p => p.Str("tagged").Global("torch.jit._pickle", "restore_type_tag").Mark().EmptyDict().Str(type).Tuple().Reduce());
        using var dir = new TempDir();
        var path = Minimal.Write(dir, Minimal.Members(data: data));
        if (refusal is not null)
        {
            AssertRefused(path, $"it tags a dict with the type '{type}', which {refusal}");
            return;
        }
        using var module = ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe);
    }

    [Fact]
    public void Fuzz_finding_a_type_tag_libtorch_cannot_parse_is_refused()
    {
        // afl (script-load target) mutated attributes_scripted.pt's "Dict[str, int]" into "DPct[str, int]": libtorch
        // 2.10 threw torch::jit::ErrorReport("Unknown type constructor DPct") and the process aborted.
        var path = Fixtures.Path("torchscript/fuzz/restore_type_tag_unknown_constructor.pt");
        var e = Assert.Throws<HubException>(() => ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe));
        Assert.Contains("it tags a dict with the type 'DPct[str, int]', which uses 'DPct[...]'", e.Message);
    }

    [Fact]
    public void Fuzz_finding_a_constant_that_is_not_a_tensor_is_refused()
    {
        // afl (script-pickle target) replaced constants_traced.pt's constants with ({},): the code adds CONSTANTS.c0
        // as a tensor, libtorch 2.10 failed to compile it with torch::jit::ErrorReport and the process aborted.
        var path = Fixtures.Path("torchscript/fuzz/constants_not_a_tensor.pt");
        var e = Assert.Throws<HubException>(() => ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe));
        Assert.Contains("holds a tuple as constant c0; torch.jit.save's constants are tensors, strings or objects", e.Message);
    }

    [Fact]
    public void Members_in_code_that_are_not_sources_are_refused()
    {
        using var dir = new TempDir();
        var members = Minimal.Members();
        members.Add(("m/code/__torch__/evil.so", "x"u8.ToArray()));
        AssertRefused(Minimal.Write(dir, members), "is not a TorchScript source");
    }

    [Fact]
    public void A_chain_of_classes_longer_than_libtorch_imports_in_reasonable_time_is_refused()
    {
        // Class C0 has an attribute of class C1, C1 of C2... libtorch 2.10 took 9 s for 250 such classes, more than
        // 10 minutes for 1,000, and overflowed its stack at 4,000.
        var code = new StringBuilder(Minimal.Code);
        code.Append("class C0(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n");
        for (int i = 1; i <= 40; i++) code.Append($"  c : __torch__.C{i}\nclass C{i}(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n");
        using var dir = new TempDir();
        AssertRefused(Minimal.Write(dir, Minimal.Members(code: Encoding.UTF8.GetBytes(code.ToString()))), "a chain of more than 32 classes and functions");
    }

    [Fact]
    public void A_debug_pkl_that_indexes_past_its_string_table_is_refused()
    {
        // libtorch 2.10 reads debug_pkl only to report an error, with unchecked indexes: this one crashed it with
        // SIGSEGV when the model failed on a wrong input.
        var debug = new PickleWriter().Proto().Str("FORMAT_WITH_STRING_TABLE").Str("").Op(0x85)
            .Mark().Int(0).Global("torch.jit._pickle", "build_intlist").Mark().Op((byte)']').Mark().Int(1 << 28).Op((byte)'e').Tuple().Reduce()
            .Int(0).Int(0).Op(0x87).Int(0).Int(5).Op(0x87).Int(0).Op(0x87).Tuple().Op(0x87).Stop().ToArray();
        using var dir = new TempDir();
        var members = Minimal.Members();
        members.Add(("m/code/__torch__.py.debug_pkl", debug));
        AssertRefused(Minimal.Write(dir, members), "has a source text index 268435456 outside its string table of 1 entries");
        members[^1] = ("m/code/__torch__.py.debug_pkl", new PickleWriter().Proto().Global("os", "system").Stop().ToArray());
        AssertRefused(Minimal.Write(dir, members), "a debug_pkl holds only source ranges");
    }

    [Fact]
    public void Overlapping_members_and_zip_bombs_are_refused()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Minimal.Write(dir, Minimal.Members()));
        ZipEntry[] entries;
        using (var source = new MemorySource("x", bytes, bytes.Length)) entries = ZipReader.Open(source).Entries.ToArray();

        var overlapping = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(overlapping.AsSpan((int)entries[1].CentralHeaderOffset + 42), (uint)entries[0].LocalHeaderOffset);
        AssertRefused(Write(dir, "overlap.pt", overlapping), "overlap in the file");

        var deflated = File.ReadAllBytes(Minimal.Write(dir, Minimal.Members(), CompressionLevel.Optimal));
        using (var source = new MemorySource("x", deflated, deflated.Length)) entries = ZipReader.Open(source).Entries.ToArray();
        var code = entries.Single(e => e.Name == "m/code/__torch__.py");
        Assert.Equal(8, code.Method);
        BinaryPrimitives.WriteUInt32LittleEndian(deflated.AsSpan((int)code.CentralHeaderOffset + 24), 0xfffffff0);
        AssertRefused(Write(dir, "bomb.pt", deflated), "inflate to 4294967280 bytes");
    }

    [Fact]
    public void A_torchscript_archive_is_never_read_as_a_state_dict()
    {
        foreach (var name in new[] { "small_scripted", "small_traced", "constants_traced" })
        {
            var path = Fixtures.Path($"torchscript/{name}.pt");
            var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
            Assert.Contains("it is a TorchScript archive", e.Message);
            Assert.Contains("load it as a model from a hub repo you trust (IHubServices.LoadScript", e.Message);
            Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(new MemoryStream(File.ReadAllBytes(path)), name + ".pt"));
            Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path, CheckpointReadMode.Copy));
        }
    }

    private static string Write(TempDir dir, string name, byte[] bytes)
    {
        var path = dir.Path(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The check and the load both refuse the file with one HubException naming it and saying what is wrong.</summary>
    private static void AssertRefused(string path, string expected)
    {
        var e = Assert.Throws<HubException>(() => ScriptArchive.Check(path));
        Assert.StartsWith($"{path} is not a TorchScript archive the hub can load: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.True(e.Message.Contains("again", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("torch.jit.save", StringComparison.Ordinal), $"says what to do: {e.Message}");
        var load = Assert.Throws<HubException>(() => ScriptArchive.Load<Tensor, Tensor>(path, Fixtures.ScriptProbe));
        Assert.Equal(e.Message, load.Message);
    }

    /// <summary>
    /// The smallest TorchScript archive libtorch loads: class M (a Module with one tensor attribute w = [1, 2, 3, 4])
    /// whose forward adds w to its input, written member by member so that each hostile case changes one thing.
    /// </summary>
    private static class Minimal
    {
        public const string Code = "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n  w : Tensor\n"
                                   + "  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n    w = self.w\n    return torch.add(x, w)\n";

        public static byte[] Data(long numel = 4, long offset = 0, long[]? shape = null, long[]? stride = null, Action<PickleWriter>? extra = null)
        {
            var p = new PickleWriter().Proto().Global("__torch__", "M").EmptyTuple().Op(0x81).EmptyDict().Mark()
                .Str("training").Op(0x89)
                .Str("w").Global("torch._utils", "_rebuild_tensor_v2").Mark()
                .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Long1(numel).Tuple().Op((byte)'Q')
                .Long1(offset);
            p.Mark();
            foreach (var s in shape ?? [4]) p.Long1(s);
            p.Tuple().Mark();
            foreach (var s in stride ?? [1]) p.Long1(s);
            p.Tuple().Op(0x89).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
            extra?.Invoke(p); // more key, value pairs of the module's state (libtorch ignores undeclared ones)
            return p.Op((byte)'u').Op((byte)'b').Stop().ToArray();
        }

        public static List<(string Name, byte[] Data)> Members(byte[]? data = null, byte[]? constants = null, byte[]? code = null, string version = "3\n")
        {
            var storage = new byte[16];
            for (int i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(storage.AsSpan(4 * i), i + 1);
            return
            [
                ("m/data/0", storage),
                ("m/data.pkl", data ?? Data()),
                ("m/code/__torch__.py", code ?? Encoding.UTF8.GetBytes(Code)),
                ("m/constants.pkl", constants ?? new PickleWriter().Proto().EmptyTuple().Stop().ToArray()),
                ("m/version", Encoding.ASCII.GetBytes(version)),
            ];
        }

        public static string Write(TempDir dir, IEnumerable<(string Name, byte[] Data)> members, CompressionLevel level = CompressionLevel.NoCompression)
        {
            var path = dir.Path($"m{Guid.NewGuid():N}.pt");
            using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
            foreach (var (name, data) in members)
            {
                // Code is deflated as torch.jit.save does; the rest stored.
                var entry = zip.CreateEntry(name, name.Contains("/code/") ? level : CompressionLevel.NoCompression);
                using var s = entry.Open();
                s.Write(data);
            }
            return path;
        }
    }
}
