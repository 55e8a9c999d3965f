using System.Text.Json;
using HubHost.Checkpoints;

namespace HubHost.Checkpoints.Tests;

public class TorchCheckpointTests
{
    public static TheoryData<string, CheckpointReadMode> ReferenceFiles() => new()
    {
        { "digits_mlp", CheckpointReadMode.MemoryMap },
        { "digits_mlp", CheckpointReadMode.Copy },
        { "squeezenet1_1", CheckpointReadMode.MemoryMap },
        { "squeezenet1_1", CheckpointReadMode.Copy },
    };

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void Every_tensor_of_the_shared_pytorch_fixtures_matches_its_digest(string name, CheckpointReadMode mode)
    {
        var expected = Fixtures.Json($"pytorch/{name}.json").GetProperty("state_dict");
        var sd = Checkpoint.Load(Fixtures.Path($"pytorch/{name}.pt"), mode);
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), sd.Keys);
        foreach (var p in expected.EnumerateObject())
        {
            var t = sd[p.Name];
            Assert.Equal(p.Value.GetProperty("dtype").GetString(), Fixtures.TorchDType(t.dtype));
            Assert.Equal(Fixtures.Longs(p.Value.GetProperty("shape")), t.shape);
            Assert.Equal(p.Value.GetProperty("sha256").GetString(), TensorDigest.Sha256(t));
        }
    }

    [Fact]
    public void Reading_from_a_stream_gives_the_same_tensors()
    {
        var expected = Fixtures.Json("pytorch/digits_mlp.json").GetProperty("state_dict");
        using var stream = File.OpenRead(Fixtures.Path("pytorch/digits_mlp.pt"));
        var sd = Checkpoint.Load(stream, "digits_mlp.pt");
        foreach (var p in expected.EnumerateObject())
            Assert.Equal(p.Value.GetProperty("sha256").GetString(), TensorDigest.Sha256(sd[p.Name]));
    }

    public static TheoryData<string, CheckpointReadMode> GeneratedFiles()
    {
        var data = new TheoryData<string, CheckpointReadMode>();
        foreach (var f in Fixtures.ExpectedFiles())
        {
            if (!f.Name.EndsWith(".pt", StringComparison.Ordinal) || f.Name == "expanded.pt") continue;
            data.Add(f.Name, CheckpointReadMode.MemoryMap);
            data.Add(f.Name, CheckpointReadMode.Copy);
        }
        return data;
    }

    /// <summary>
    /// Zip and legacy files written by PyTorch: views with offsets and strides, shared storages, every dtype,
    /// OrderedDict _metadata. Layout (stride, offset), values and storage sharing must match PyTorch's.
    /// </summary>
    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void Generated_checkpoints_match_pytorch_layout_values_and_storage_sharing(string file, CheckpointReadMode mode)
    {
        var expected = Fixtures.ExpectedFiles().Single(f => f.Name == file).Value;
        var sd = TorchCheckpoint.Load(Fixtures.Path($"checkpoints/{file}"), mode);
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), sd.Keys);
        var storageOfGroup = new Dictionary<int, nint>();
        foreach (var p in expected.EnumerateObject())
        {
            var t = sd[p.Name];
            var e = p.Value;
            Assert.Equal(e.GetProperty("dtype").GetString(), Fixtures.TorchDType(t.dtype));
            Assert.Equal(Fixtures.Longs(e.GetProperty("shape")), t.shape);
            if (t.NumberOfElements > 0)
            {
                Assert.Equal(Fixtures.Longs(e.GetProperty("stride")), t.stride());
                Assert.Equal(e.GetProperty("storage_offset").GetInt64(), t.storage_offset());
            }
            Assert.Equal(e.GetProperty("sha256").GetString(), TensorDigest.Sha256(t));
            Assert.Equal(e.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Fixtures.Bytes(t))));
            int group = e.GetProperty("storage_group").GetInt32();
            if (t.NumberOfElements == 0) continue;
            var storage = Fixtures.StorageAddress(t);
            if (storageOfGroup.TryGetValue(group, out var address)) Assert.Equal(address, storage);
            else
            {
                Assert.DoesNotContain(storage, storageOfGroup.Values);
                storageOfGroup[group] = storage;
            }
        }
    }

    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void Views_file_really_has_non_contiguous_and_offset_views_sharing_one_storage(CheckpointReadMode mode)
    {
        var sd = Checkpoint.Load(Fixtures.Path("checkpoints/views.pt"), mode);
        Assert.False(sd["transposed"].is_contiguous());
        Assert.False(sd["columns"].is_contiguous());
        Assert.Equal(6, sd["rows"].storage_offset());
        Assert.Equal(Fixtures.StorageAddress(sd["base"]), Fixtures.StorageAddress(sd["strided"]));
        // transposed[1, 2] == base[2, 1] == 13
        Assert.Equal(13f, sd["transposed"][1, 2].item<float>());
    }

    /// <summary>Tensors that share a storage in PyTorch alias each other here too: writing one changes the other.</summary>
    [Theory]
    [InlineData("checkpoints/views.pt", CheckpointReadMode.MemoryMap)]
    [InlineData("checkpoints/views.pt", CheckpointReadMode.Copy)]
    [InlineData("checkpoints/views_legacy.pt", CheckpointReadMode.MemoryMap)]
    [InlineData("checkpoints/views_legacy.pt", CheckpointReadMode.Copy)]
    public void Views_of_one_storage_stay_tied_as_in_torch(string file, CheckpointReadMode mode)
    {
        var sd = Checkpoint.Load(Fixtures.Path(file), mode);
        // base is arange(24).reshape(4, 6); transposed = base.t(); rows = base[1:3]; strided = base.view(-1)[1::5].
        sd["base"][2, 1] = torch.tensor(-7f);
        Assert.Equal(-7f, sd["transposed"][1, 2].item<float>());
        Assert.Equal(-7f, sd["rows"][1, 1].item<float>());
        sd["strided"][2] = torch.tensor(99f); // element 11 of the storage = base[1, 5]
        Assert.Equal(99f, sd["base"][1, 5].item<float>());
        sd["columns"][1, 2] = torch.tensor(55f); // columns = base[:, 2:5]: base[1, 4]
        Assert.Equal(55f, sd["base"][1, 4].item<float>());
        // A tensor of another storage is not affected.
        var other = Fixtures.Bytes(sd["other"]);
        sd["base"].fill_(0);
        Assert.Equal(other, Fixtures.Bytes(sd["other"]));
        Assert.Equal(0f, sd["transposed"].abs().sum().item<float>());
    }

    [Fact]
    public void Tied_weights_saved_by_pytorch_share_one_storage()
    {
        // tied.pt: an embedding and an output layer sharing one Parameter (weight tying), plus a bias.
        var sd = Checkpoint.Load(Fixtures.Path("checkpoints/tied.pt"));
        Assert.Equal(Fixtures.StorageAddress(sd["embed.weight"]), Fixtures.StorageAddress(sd["head.weight"]));
        Assert.NotEqual(Fixtures.StorageAddress(sd["embed.weight"]), Fixtures.StorageAddress(sd["head.bias"]));
        sd["embed.weight"][0, 0] = torch.tensor(42f);
        Assert.Equal(42f, sd["head.weight"][0, 0].item<float>());
    }

    [Fact]
    public void Memory_mapped_tensors_are_copy_on_write_and_never_change_the_file()
    {
        using var dir = new TempDir();
        var path = dir.Path("views.pt");
        File.Copy(Fixtures.Path("checkpoints/views.pt"), path);
        var before = File.ReadAllBytes(path);
        var sd = Checkpoint.Load(path, CheckpointReadMode.MemoryMap);
        sd["base"].fill_(-1f);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(-1f, sd["rows"][0, 0].item<float>());
        // A second load of the same file sees the file's values, not the first load's writes.
        Assert.Equal(6f, Checkpoint.Load(path, CheckpointReadMode.MemoryMap)["rows"][0, 0].item<float>());
    }

    [Theory]
    [InlineData("malicious_system.pt", "posix.system")]
    [InlineData("malicious_eval.pt", "__builtin__.eval")] // protocol 2 writes Python 2 module names
    [InlineData("malicious_system_legacy.pt", "posix.system")]
    public void Pickles_with_disallowed_globals_are_refused_naming_the_global(string file, string global)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(Fixtures.Path($"checkpoints/{file}")));
        Assert.Contains($"'{global}'", e.Message);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void A_whole_model_saved_with_torch_save_is_refused_with_a_hint()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(Fixtures.Path("checkpoints/whole_model.pt")));
        Assert.Contains("torch.nn.modules.container.Sequential", e.Message);
        Assert.Contains("state_dict()", e.Message);
    }

    [Fact]
    public void A_training_checkpoint_with_non_tensor_entries_is_refused_clearly()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(Fixtures.Path("checkpoints/training_checkpoint.pt")));
        Assert.Contains("entry 'state_dict' is a OrderedDict, not a tensor", e.Message);
    }

    [Fact]
    public void Deflated_entries_and_any_archive_root_name_are_read()
    {
        using var dir = new TempDir();
        var path = dir.Path("renamed.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), path, (name, data) => ("some_other_root/" + name[(name.IndexOf('/') + 1)..], data), System.IO.Compression.CompressionLevel.Optimal);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
            Assert.True(zip.GetEntry("some_other_root/data/0")!.CompressedLength < zip.GetEntry("some_other_root/data/0")!.Length);
        var expected = Fixtures.Json("checkpoints/expected.json").GetProperty("files").GetProperty("views.pt");
        var sd = Checkpoint.Load(path);
        foreach (var p in expected.EnumerateObject())
            Assert.Equal(p.Value.GetProperty("sha256").GetString(), TensorDigest.Sha256(sd[p.Name]));
    }

    [Fact]
    public void A_missing_storage_record_is_reported()
    {
        using var dir = new TempDir();
        var path = dir.Path("missing.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), path, (name, data) => name.EndsWith("/data/0", StringComparison.Ordinal) ? null : (name, data));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("no record 'views/data/0'", e.Message);
    }

    [Fact]
    public void A_storage_record_shorter_than_its_declared_size_is_reported()
    {
        using var dir = new TempDir();
        var path = dir.Path("short.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), path, (name, data) => name.EndsWith("/data/0", StringComparison.Ordinal) ? (name, data[..40]) : (name, data));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("has 40 bytes but its tensors need 96", e.Message);
    }

    [Fact]
    public void A_tensor_view_reaching_past_its_storage_is_reported()
    {
        using var dir = new TempDir();
        var path = dir.Path("view.pt");
        var pickle = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("0", numel: 4, offset: 2, shape: [2, 2], stride: [2, 1]).SetItem().Stop().ToArray();
        PickleWriter.WriteTorchZip(path, pickle, ("0", new byte[16]));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("reaches element 5", e.Message);
    }

    [Fact]
    public void A_hand_written_pickle_with_stack_global_and_the_allowed_forms_loads()
    {
        using var dir = new TempDir();
        var path = dir.Path("ok.pt");
        var data = new byte[16];
        BitConverter.GetBytes(1.5f).CopyTo(data, 4);
        var pickle = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("k", numel: 4, offset: 1, shape: [3], stride: [1]).SetItem().Stop().ToArray();
        PickleWriter.WriteTorchZip(path, pickle, ("k", data));
        var sd = Checkpoint.Load(path);
        Assert.Equal([3L], sd["w"].shape);
        Assert.Equal(1.5f, BitConverter.ToSingle(Fixtures.Bytes(sd["w"]), 0));
    }

    [Theory]
    [InlineData("builtins", "eval")]
    [InlineData("os", "system")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    public void Any_global_outside_the_allow_list_is_refused_even_through_stack_global(string module, string name)
    {
        using var dir = new TempDir();
        var path = dir.Path("evil.pt");
        var pickle = new PickleWriter().Proto().Str(module).Str(name).Op(0x93).Mark().Str("x").Tuple().Reduce().Stop().ToArray();
        PickleWriter.WriteTorchZip(path, pickle);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains($"'{module}.{name}'", e.Message);
    }

    [Fact]
    public void Deeply_nested_pickles_end_in_an_error_not_a_crash()
    {
        using var dir = new TempDir();
        var path = dir.Path("deep.pt");
        var w = new PickleWriter().Proto().EmptyDict().Str("x");
        for (int i = 0; i < 200_000; i++) w.Op((byte)']');
        for (int i = 0; i < 199_999; i++) w.Op((byte)'a');
        var pickle = w.SetItem().Stop().ToArray();
        PickleWriter.WriteTorchZip(path, pickle);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("entry 'x' is a list, not a tensor", e.Message);

        var marks = new PickleWriter().Proto();
        for (int i = 0; i < 300_000; i++) marks.Mark();
        PickleWriter.WriteTorchZip(path = dir.Path("marks.pt"), marks.Stop().ToArray());
        Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
    }

    [Fact]
    public void Lying_lengths_inside_a_pickle_are_refused_before_allocating()
    {
        using var dir = new TempDir();
        var path = dir.Path("huge.pt");
        var pickle = new PickleWriter().Proto().Op((byte)'X').Raw(BitConverter.GetBytes(0xFFFFFFF0u)).Raw("abc"u8.ToArray()).Stop().ToArray();
        PickleWriter.WriteTorchZip(path, pickle);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("past the end of the pickle", e.Message);

        var big = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("0", numel: int.MaxValue, offset: 0, shape: [int.MaxValue], stride: [1]).SetItem().Stop().ToArray();
        PickleWriter.WriteTorchZip(path = dir.Path("bignumel.pt"), big, ("0", new byte[16]));
        e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("has 16 bytes but its tensors need", e.Message);
    }

    [Theory]
    [InlineData("views.pt")]
    [InlineData("views_legacy.pt")]
    [InlineData("dtypes_legacy.pt")]
    [InlineData("squeezenet")]
    public void Truncated_files_get_one_clear_error(string file)
    {
        var source = file == "squeezenet" ? Fixtures.Path("pytorch/squeezenet1_1.pt") : Fixtures.Path($"checkpoints/{file}");
        var bytes = File.ReadAllBytes(source);
        using var dir = new TempDir();
        foreach (var length in new[] { 1, 3, 30, bytes.Length / 3, bytes.Length / 2, bytes.Length - 9, bytes.Length - 1 })
        {
            var path = dir.Path($"cut{length}.pt");
            File.WriteAllBytes(path, bytes[..length]);
            foreach (var mode in new[] { CheckpointReadMode.MemoryMap, CheckpointReadMode.Copy })
            {
                var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, mode));
                Assert.Contains(path, e.Message);
            }
        }
    }

    [Fact]
    public void Garbage_and_corrupted_zips_get_one_clear_error()
    {
        using var dir = new TempDir();
        var path = dir.Path("garbage.pt");
        File.WriteAllBytes(path, "this is not a checkpoint at all"u8.ToArray());
        Assert.Contains("not a recognised checkpoint", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path)).Message);

        var bytes = File.ReadAllBytes(Fixtures.Path("checkpoints/views.pt"));
        var rng = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            var copy = (byte[])bytes.Clone();
            for (int j = 0; j < 4; j++) copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
            File.WriteAllBytes(path, copy);
            try
            {
                var sd = Checkpoint.Load(path);
                foreach (var t in sd.Values) TensorDigest.Sha256(t);
            }
            catch (CheckpointFormatException)
            {
            }
        }
    }

    [Fact]
    public void Empty_and_missing_files()
    {
        using var dir = new TempDir();
        var path = dir.Path("empty.pt");
        File.WriteAllBytes(path, []);
        Assert.Contains("empty", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path)).Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(dir.Path("nope.pt")));
    }
}

[CollectionDefinition("serial", DisableParallelization = true)]
public class SerialCollection;

[Collection("serial")]
public class CheckpointLoadModeTests
{
    [Fact]
    public void Copied_tensors_do_not_depend_on_the_file_after_loading()
    {
        using var dir = new TempDir();
        var path = dir.Path("m.pt");
        File.Copy(Fixtures.Path("pytorch/digits_mlp.pt"), path);
        var sd = Checkpoint.Load(path, CheckpointReadMode.Copy);
        var digest = TensorDigest.Sha256(sd["0.weight"]);
        File.WriteAllBytes(path, new byte[File.ReadAllBytes(path).Length]);
        File.Delete(path);
        Assert.Equal(digest, TensorDigest.Sha256(sd["0.weight"]));
    }

    [Fact]
    public void A_mapping_is_released_when_libtorch_frees_the_last_storage_viewing_it()
    {
        int before = TensorMemory.LiveBlobs;
        var sd = Checkpoint.Load(Fixtures.Path("pytorch/squeezenet1_1.pt"), CheckpointReadMode.MemoryMap);
        Assert.True(TensorMemory.LiveBlobs >= before + 1);
        var keep = sd["features.0.weight"];
        foreach (var (name, t) in sd) if (name != "features.0.weight") t.Dispose();
        Assert.True(TensorMemory.LiveBlobs >= before + 1);
        var digest = TensorDigest.Sha256(keep);
        Assert.Equal(Fixtures.Json("pytorch/squeezenet1_1.json").GetProperty("state_dict").GetProperty("features.0.weight").GetProperty("sha256").GetString(), digest);
        keep.Dispose();
        Assert.Equal(before, TensorMemory.LiveBlobs);

        // A stream's buffer is pinned while storages view it, and unpinned with the last of them.
        using (var stream = File.OpenRead(Fixtures.Path("checkpoints/views.pt")))
        {
            var views = Checkpoint.Load(stream, "views.pt");
            Assert.Equal(before + 2, TensorMemory.LiveBlobs); // two storages: base and other
            foreach (var t in views.Values) t.Dispose();
        }
        Assert.Equal(before, TensorMemory.LiveBlobs);
    }

    [Fact]
    public void Mapped_tensors_survive_collections_while_referenced()
    {
        var sd = Checkpoint.Load(Fixtures.Path("pytorch/squeezenet1_1.pt"), CheckpointReadMode.MemoryMap);
        var expected = Fixtures.Json("pytorch/squeezenet1_1.json").GetProperty("state_dict");
        for (int i = 0; i < 3; i++)
        {
            // Loading and dropping other mappings must not disturb this one.
            Checkpoint.Load(Fixtures.Path("pytorch/squeezenet1_1.pt"), CheckpointReadMode.MemoryMap);
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        foreach (var p in expected.EnumerateObject())
            Assert.Equal(p.Value.GetProperty("sha256").GetString(), TensorDigest.Sha256(sd[p.Name]));
    }

    [Theory]
    [InlineData("checkpoints/views_legacy.pt", "views_legacy.pt")]
    [InlineData("checkpoints/dtypes.pt", "dtypes.pt")]
    public void Streams_of_every_format_are_detected_by_content(string file, string key)
    {
        var expected = Fixtures.Json("checkpoints/expected.json").GetProperty("files").GetProperty(key);
        using var dir = new TempDir();
        var st = dir.Path("x.safetensors");
        Safetensors.Save(st, Checkpoint.Load(Fixtures.Path(file)).Where(p => p.Value.dtype != ScalarType.ComplexFloat64));
        foreach (var path in new[] { Fixtures.Path(file), st })
        {
            using var stream = new MemoryStream(File.ReadAllBytes(path));
            var sd = Checkpoint.Load(stream, "unnamed");
            foreach (var p in expected.EnumerateObject())
                Assert.Equal(p.Value.GetProperty("sha256").GetString(), TensorDigest.Sha256(sd[p.Name]));
        }
    }

    [Fact]
    public void An_npy_file_given_as_a_checkpoint_gets_a_hint()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(Fixtures.Path("checkpoints/npy_f4.npy")));
        Assert.Contains("Npy.Load", e.Message);
    }
}

public class LegacyFormatTests
{
    [Fact]
    public void A_legacy_storage_whose_element_count_disagrees_with_the_pickle_is_reported()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("checkpoints/views_legacy.pt"));
        // The storages (24 and 6 float32 elements) end the file, each as an int64 count then the data.
        int last = BitConverter.ToInt64(bytes, bytes.Length - 8 - 24) == 6 ? bytes.Length - 8 - 24 : bytes.Length - 8 - 96;
        long count = BitConverter.ToInt64(bytes, last);
        Assert.True(count is 6 or 24);
        BitConverter.GetBytes(count + 1).CopyTo(bytes, last);
        using var dir = new TempDir();
        var path = dir.Path("lying.pt");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains($"has {count + 1} elements in the file but {count} in the pickle", e.Message);
    }

    [Fact]
    public void A_plain_pickle_is_not_taken_for_a_legacy_checkpoint()
    {
        using var dir = new TempDir();
        var path = dir.Path("plain.pkl");
        File.WriteAllBytes(path, new PickleWriter().Proto().EmptyDict().Stop().ToArray());
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("magic number", e.Message);
    }
}

/// <summary>Integers the pickle writes with LONG1 (2^31 and more).</summary>
public class LargeIntegerTests
{
    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void Sizes_of_2_to_the_31_and_more_written_as_long1_are_read(CheckpointReadMode mode)
    {
        // Python pickles such integers with LONG1; the reader kept every LONG1 as a big integer and refused these
        // sizes as "outside the 64-bit range" (make_large_sizes.py).
        var stateDict = Checkpoint.Load(Fixtures.Path("checkpoints/large_sizes.pt"), mode);
        Assert.Equal([3_000_000_000L], stateDict["wide"].shape);
        Assert.Equal([0L], stateDict["wide"].stride());
        Assert.Equal([2L, 2_147_483_650L], stateDict["wide2d"].shape);
        Assert.Equal(ScalarType.Int8, stateDict["wide2d"].dtype);
        Assert.Equal(1, stateDict["wide2d"][1, 2_147_483_649L].item<sbyte>());
        foreach (var t in stateDict.Values) t.Dispose();
    }
}
