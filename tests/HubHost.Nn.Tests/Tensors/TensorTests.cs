using System.Runtime.InteropServices;
using HubHost.Nn.Functional;

namespace HubHost.Nn.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void FromArray_copies_and_infers_one_dimension()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.FromArray(data, 2, -1);
        data[0] = 100;
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal(4f, t[-1, 0]);
        Assert.Equal(DType.Float32, t.DType);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(data, 4, 2));
        Assert.Contains("[4, 2]", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(data, -1, -1));
        Assert.Throws<IndexOutOfRangeException>(() => t[2, 0]);
        Assert.Throws<ArgumentException>(() => t[0]);
    }

    [Fact]
    public void Zeros_ones_full_and_scalars()
    {
        Assert.Equal(new float[6], Tensor.Zeros(2, 3).ToArray());
        Assert.Equal([1f, 1f], Tensor.Ones(2).ToArray());
        Assert.Equal([7f], Tensor.Full(7f).ToArray());
        Assert.Equal(0, Tensor.Full(7f).Rank);
        Assert.Equal(7f, Tensor.Full(7f).ToSingle());
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2).ToSingle());
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -3));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(1L << 40));
    }

    [Fact]
    public void View_shares_storage_reshape_and_flatten()
    {
        var t = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), 2, 3, 4);
        var v = t.View(6, 4);
        Assert.Equal(new long[] { 6, 4 }, v.Shape);
        t.Data[5] = -1;
        Assert.Equal(-1f, v[1, 1]);
        Assert.Equal(new long[] { 2, 12 }, t.Flatten(1).Shape);
        Assert.Equal(new long[] { 24 }, t.Flatten().Shape);
        Assert.Equal(new long[] { 6, 4 }, t.Flatten(0, 1).Shape);
        Assert.Equal(new long[] { 4, 6 }, t.Reshape(4, -1).Shape);
        Assert.Equal(4, t.Size(-1));
        Assert.Throws<ArgumentException>(() => t.View(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Flatten(3));
    }

    [Fact]
    public void Non_contiguous_views_are_read_in_logical_order()
    {
        // A transposed 2x3 view over [[0,1,2],[3,4,5]].
        var storage = new ArrayStorage<float>([0, 1, 2, 3, 4, 5]);
        var transposed = Tensor.FromStorage(storage, DType.Float32, [3, 2], [1, 3]);
        Assert.False(transposed.IsContiguous);
        Assert.Equal([0f, 3, 1, 4, 2, 5], transposed.ToArray());
        Assert.Equal(4f, transposed[1, 1]);
        Assert.Throws<InvalidOperationException>(() => transposed.View(6));
        Assert.Equal([0f, 3, 1, 4, 2, 5], transposed.Reshape(6).ToArray());
        Assert.Equal([0f, 6, 2, 8, 4, 10], (transposed.Relu() + transposed).ToArray());
    }

    [Fact]
    public void Every_dtype_converts_to_float32()
    {
        Assert.Equal([1f, -2f], FromBytes<long>(DType.Int64, [1, -2]).To(DType.Float32).ToArray());
        Assert.Equal([1f, -2f], FromBytes<int>(DType.Int32, [1, -2]).ToArray());
        Assert.Equal([1f, -2f], FromBytes<short>(DType.Int16, [1, -2]).ToArray());
        Assert.Equal([1f, -2f], FromBytes<sbyte>(DType.Int8, [1, -2]).ToArray());
        Assert.Equal([1f, 254f], FromBytes<byte>(DType.UInt8, [1, 254]).ToArray());
        Assert.Equal([1f, 0f], FromBytes<byte>(DType.Bool, [1, 0]).ToArray());
        Assert.Equal([1.5f, -2.25f], FromBytes<double>(DType.Float64, [1.5, -2.25]).ToArray());
        Assert.Equal([1.5f, -2.25f], FromBytes<Half>(DType.Float16, [(Half)1.5, (Half)(-2.25)]).ToArray());
        Assert.Equal([1.5f, -2.25f], FromBytes<ushort>(DType.BFloat16, [0x3FC0, 0xC010]).ToArray());
        Assert.Equal([1L, -2L], FromBytes<long>(DType.Int64, [1, -2]).ToInt64Array());
    }

    private static Tensor FromBytes<T>(DType dtype, T[] values) where T : unmanaged
        => Tensor.FromStorage(new ArrayStorage<byte>(MemoryMarshal.AsBytes(values.AsSpan()).ToArray()), dtype, [values.Length]);

    [Fact]
    public void Functional_ops_validate_shapes_with_clear_messages()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(3, 2));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Equal(new long[] { 5, 3 }, Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 0).Shape);
        Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2).Softmax(1));
    }

    [Fact]
    public void Argmax_returns_the_first_maximum_and_softmax_rows_sum_to_one()
    {
        var t = Tensor.FromArray([1f, 5, 5, 2, 9, 0], 2, 3);
        Assert.Equal([1L, 1L], t.ArgMax(1).ToInt64Array());
        Assert.Equal([4L], t.ArgMax().ToInt64Array());
        Assert.Equal(new long[] { 2, 1 }, t.ArgMax(1, keepDim: true).Shape);
        var s = Tensor.FromArray([1000f, 1000f, -1000f, 0f], 2, 2).Softmax(1).ToArray();
        Assert.Equal([0.5f, 0.5f, 0f, 1f], s);
    }

    [Fact]
    public void Add_in_place_writes_into_the_first_operand()
    {
        var a = Tensor.Ones(3);
        var r = F.Add(a, Tensor.Full(2f, 3), inPlace: true);
        Assert.Same(a, r);
        Assert.Equal([3f, 3f, 3f], a.ToArray());
        var big = Tensor.Ones(1 << 17);
        Assert.All((big + big).ToArray(), v => Assert.Equal(2f, v));
    }
}
