using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace HubHost.Nn.Functional;

/// <summary>Linear, batch norm and the element-wise / reduction kernels behind <see cref="F"/>.</summary>
internal static unsafe class Kernels
{
    internal static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Linear expects a weight of shape [out_features, in_features], got {weight.ShapeString}.");
        if (input.Rank == 0) throw new ArgumentException("Linear expects input of shape [..., in_features], got a scalar.");
        int outF = (int)weight.Size(0), inF = (int)weight.Size(1);
        if (input.Size(-1) != inF)
            throw new ArgumentException($"Linear: input of shape {input.ShapeString} does not end in in_features={inF} (weight {weight.ShapeString}).");
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != outF))
            throw new ArgumentException($"Linear: bias of shape {bias.ShapeString} does not match out_features={outF}.");
        long rowCount = 1;
        for (int i = 0; i < input.Rank - 1; i++) rowCount *= input.Size(i);
        int rows = checked((int)rowCount);
        long[] outShape = [.. input.Shape.Take(input.Rank - 1), outF];
        var output = Tensor.Uninitialized(outShape);
        var x = input.ReadFloats();
        var wt = weight.ReadFloats();
        var y = output.Data;
        ReadOnlySpan<float> b = bias is null ? default : bias.ReadFloats();
        fixed (float* xp = x)
        fixed (float* wp = wt)
        fixed (float* yp = y)
        fixed (float* bp = b)
        {
            nint xa = (nint)xp, wa = (nint)wp, ya = (nint)yp, ba = (nint)bp;
            if (rows < Sgemm.MR)
            {
                // Few rows: one dot product per output, parallel over outputs (memory bound on the weight).
                Parallelism.ForRanges(outF, inF, (lo, hi) =>
                {
                    for (int r = 0; r < rows; r++)
                    {
                        var xr = new ReadOnlySpan<float>((float*)xa + (long)r * inF, inF);
                        for (long o = lo; o < hi; o++)
                        {
                            float dot = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>((float*)wa + o * inF, inF));
                            ((float*)ya)[(long)r * outF + o] = ba != 0 ? dot + ((float*)ba)[o] : dot;
                        }
                    }
                });
                GC.KeepAlive(input);
                GC.KeepAlive(weight);
                GC.KeepAlive(bias);
                return output;
            }
            // y[rows x out] = x[rows x in] · Wᵀ[in x out]
            var packedA = ArrayPool<float>.Shared.Rent(checked((int)Sgemm.PackedASize(rows, inF)));
            var packedB = ArrayPool<float>.Shared.Rent(checked((int)Sgemm.PackedBSize(inF, outF)));
            try
            {
                fixed (float* pa = packedA)
                fixed (float* pb = packedB)
                {
                    Sgemm.PackA(xp, inF, 1, rows, inF, pa);
                    Sgemm.PackB(wp, 1, inF, inF, outF, pb);
                    if (bp != null)
                        for (int r = 0; r < rows; r++) b.CopyTo(new Span<float>(yp + (long)r * outF, outF));
                    Sgemm.Multiply(rows, outF, inF, pa, pb, yp, outF, bp != null);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packedA);
                ArrayPool<float>.Shared.Return(packedB);
            }
        }
        GC.KeepAlive(input);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return output;
    }

    /// <summary>
    /// Batch norm over dimension 1 of [N, C, ...]. With <paramref name="useBatchStats"/> (training) it normalizes
    /// with the batch's mean and biased variance and updates the running statistics with the unbiased one.
    /// </summary>
    internal static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool useBatchStats, double momentum, double eps)
    {
        if (input.Rank < 2) throw new ArgumentException($"BatchNorm expects input of shape [N, C, ...], got {input.ShapeString}.");
        int n = (int)input.Size(0), c = (int)input.Size(1);
        long inner = input.NumberOfElements / Math.Max(1L, (long)n * c);
        foreach (var (name, t) in new[] { ("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias) })
            if (t is not null && t.NumberOfElements != c)
                throw new ArgumentException($"BatchNorm: {name} has {t.NumberOfElements} elements but the input {input.ShapeString} has {c} channels.");
        var x = input.ReadFloats();
        var mean = new float[c];
        var invStd = new float[c];
        if (useBatchStats)
        {
            long count = n * inner;
            if (count <= 1) throw new ArgumentException($"BatchNorm in training mode needs more than one value per channel, got input {input.ShapeString}.");
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(x.Slice((int)(((long)i * c + ch) * inner), (int)inner));
                double m = sum / count;
                double sq = 0;
                for (int i = 0; i < n; i++)
                {
                    var s = x.Slice((int)(((long)i * c + ch) * inner), (int)inner);
                    foreach (var v in s) sq += (v - m) * (v - m);
                }
                double var = sq / count;
                mean[ch] = (float)m;
                invStd[ch] = (float)(1.0 / Math.Sqrt(var + eps));
                if (runningMean is not null)
                {
                    var rm = runningMean.Data;
                    rm[ch] = (float)((1 - momentum) * rm[ch] + momentum * m);
                }
                if (runningVar is not null)
                {
                    var rv = runningVar.Data;
                    rv[ch] = (float)((1 - momentum) * rv[ch] + momentum * sq / (count - 1));
                }
            }
        }
        else
        {
            if (runningMean is null || runningVar is null) throw new ArgumentException("BatchNorm in eval mode needs running_mean and running_var.");
            var rm = runningMean.ReadFloats();
            var rv = runningVar.ReadFloats();
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = rm[ch];
                invStd[ch] = 1f / MathF.Sqrt(rv[ch] + (float)eps);
            }
        }
        var alpha = new float[c];
        var beta = new float[c];
        ReadOnlySpan<float> w = weight is null ? default : weight.ReadFloats();
        ReadOnlySpan<float> bb = bias is null ? default : bias.ReadFloats();
        for (int ch = 0; ch < c; ch++)
        {
            alpha[ch] = invStd[ch] * (w.IsEmpty ? 1f : w[ch]);
            beta[ch] = (bb.IsEmpty ? 0f : bb[ch]) - mean[ch] * alpha[ch];
        }
        var output = Tensor.Uninitialized([.. input.Shape]);
        var y = output.Data;
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            nint xa = (nint)xp, ya = (nint)yp;
            Parallelism.ForRanges((long)n * c, inner, (lo, hi) =>
            {
                for (long plane = lo; plane < hi; plane++)
                {
                    int ch = (int)(plane % c);
                    ScaleShift((float*)xa + plane * inner, alpha[ch], beta[ch], (float*)ya + plane * inner, inner);
                }
            });
        }
        if (useBatchStats)
        {
            runningMean?.MarkChanged();
            runningVar?.MarkChanged();
        }
        GC.KeepAlive(input);
        GC.KeepAlive(runningMean);
        GC.KeepAlive(runningVar);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return output;
    }

    /// <summary>y = x·a + b over <paramref name="count"/> floats (x and y may be the same).</summary>
    internal static void ScaleShift(float* x, float a, float b, float* y, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            for (; i <= count - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), va, vb).Store(y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= count - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), va, vb).Store(y + i);
        }
        for (; i < count; i++) y[i] = MathF.FusedMultiplyAdd(x[i], a, b);
    }

    /// <summary>max(x, 0) element-wise (NaN stays NaN), into a new tensor or in place.</summary>
    internal static Tensor Relu(Tensor input, bool inPlace)
    {
        if (inPlace && input.DType == DType.Float32 && input.IsContiguous)
        {
            var d = input.Data;
            ParallelElementwise(d, d, static (s, t) => TensorPrimitives.Max(s, 0f, t));
            input.MarkChanged();
            return input;
        }
        var output = Tensor.Uninitialized([.. input.Shape]);
        ParallelElementwise(input.ReadFloats(), output.Data, static (s, t) => TensorPrimitives.Max(s, 0f, t));
        GC.KeepAlive(input);
        return output;
    }

    internal delegate void SpanOp(ReadOnlySpan<float> source, Span<float> destination);

    internal delegate void SpanOp2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination);

    /// <summary>Applies a span operation over two halves in parallel when large.</summary>
    internal static void ParallelElementwise(ReadOnlySpan<float> source, Span<float> destination, SpanOp op)
    {
        if (source.Length < 1 << 16 || Parallelism.Threads == 1)
        {
            op(source, destination);
            return;
        }
        fixed (float* s = source)
        fixed (float* d = destination)
        {
            nint sa = (nint)s, da = (nint)d;
            int len = source.Length;
            Parallelism.ForRanges(len, 64, (lo, hi) => op(new ReadOnlySpan<float>((float*)sa + lo, (int)(hi - lo)), new Span<float>((float*)da + lo, (int)(hi - lo))));
        }
    }

    internal static Tensor Add(Tensor a, Tensor b, bool inPlace)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"Add needs tensors of the same shape, got {a.ShapeString} and {b.ShapeString}.");
        var bs = b.ReadFloats();
        Tensor output = inPlace && a.DType == DType.Float32 && a.IsContiguous ? a : Tensor.Uninitialized([.. a.Shape]);
        var asrc = a.ReadFloats();
        var dst = output.Data;
        if (asrc.Length < 1 << 16) TensorPrimitives.Add(asrc, bs, dst);
        else
        {
            fixed (float* ap = asrc)
            fixed (float* bp = bs)
            fixed (float* dp = dst)
            {
                nint aa = (nint)ap, ba = (nint)bp, da = (nint)dp;
                Parallelism.ForRanges(asrc.Length, 64, (lo, hi) =>
                    TensorPrimitives.Add(new ReadOnlySpan<float>((float*)aa + lo, (int)(hi - lo)), new ReadOnlySpan<float>((float*)ba + lo, (int)(hi - lo)), new Span<float>((float*)da + lo, (int)(hi - lo))));
            }
        }
        if (ReferenceEquals(output, a)) a.MarkChanged();
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return output;
    }

    internal static Tensor Softmax(Tensor input, int dim)
    {
        int d = Tensor.NormalizeDim(dim, input.Rank, "Softmax");
        var (outer, size, inner) = Split(input, d);
        var x = input.ReadFloats();
        var output = Tensor.Uninitialized([.. input.Shape]);
        var y = output.Data;
        if (input.Rank == 0)
        {
            y[0] = float.IsNaN(x[0]) ? float.NaN : 1f;
            return output;
        }
        var column = new float[size];
        for (long o = 0; o < outer; o++)
        {
            for (long i = 0; i < inner; i++)
            {
                long baseIndex = o * size * inner + i;
                for (long s = 0; s < size; s++) column[s] = x[(int)(baseIndex + s * inner)];
                float max = TensorPrimitives.Max<float>(column);
                double sum = 0;
                for (long s = 0; s < size; s++)
                {
                    column[s] = MathF.Exp(column[s] - max);
                    sum += column[s];
                }
                float inv = (float)(1.0 / sum);
                for (long s = 0; s < size; s++) y[(int)(baseIndex + s * inner)] = column[s] * inv;
            }
        }
        GC.KeepAlive(input);
        return output;
    }

    internal static Tensor ArgMax(Tensor input, int? dim, bool keepDim)
    {
        var x = input.ReadFloats();
        if (dim is null)
        {
            if (x.Length == 0) throw new ArgumentException("ArgMax of an empty tensor is undefined.");
            long best = FirstMaxIndex(x, 0, x.Length, 1);
            GC.KeepAlive(input);
            long[] shape = keepDim ? Enumerable.Repeat(1L, input.Rank).ToArray() : [];
            return Tensor.FromArray([best], shape);
        }
        int d = Tensor.NormalizeDim(dim.Value, input.Rank, "ArgMax");
        var (outer, size, inner) = Split(input, d);
        if (size == 0) throw new ArgumentException($"ArgMax over dimension {dim} of size 0 is undefined (input {input.ShapeString}).");
        var result = new long[outer * inner];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
                result[o * inner + i] = FirstMaxIndex(x, o * size * inner + i, size, inner);
        GC.KeepAlive(input);
        var outShape = input.Shape.ToList();
        if (input.Rank > 0)
        {
            if (keepDim) outShape[d] = 1;
            else outShape.RemoveAt(d);
        }
        return Tensor.FromArray(result, [.. outShape]);
    }

    /// <summary>Index of the first maximum (a NaN counts as the maximum, as in PyTorch).</summary>
    private static long FirstMaxIndex(ReadOnlySpan<float> x, long start, long count, long step)
    {
        long best = 0;
        float max = x[(int)start];
        for (long s = 1; s < count && !float.IsNaN(max); s++)
        {
            float v = x[(int)(start + s * step)];
            if (v > max || float.IsNaN(v))
            {
                max = v;
                best = s;
            }
        }
        return best;
    }

    internal static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat needs at least one tensor.");
        var first = tensors[0];
        if (first.Rank == 0) throw new ArgumentException("Cat cannot concatenate scalars (zero-dimensional tensors).");
        int d = Tensor.NormalizeDim(dim, first.Rank, "Cat");
        long total = 0;
        foreach (var t in tensors)
        {
            bool same = t.Rank == first.Rank;
            for (int i = 0; same && i < t.Rank; i++) same = i == d || t.Size(i) == first.Size(i);
            if (!same)
                throw new ArgumentException($"Cat along dimension {dim}: shapes {first.ShapeString} and {t.ShapeString} differ outside that dimension.");
            total += t.Size(d);
        }
        var shape = first.Shape.ToArray();
        shape[d] = total;
        var output = Tensor.Uninitialized(shape);
        var y = output.Data;
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        long offset = 0;
        foreach (var t in tensors)
        {
            var x = t.ReadFloats();
            long run = t.Size(d) * inner;
            for (long o = 0; o < outer; o++)
                x.Slice((int)(o * run), (int)run).CopyTo(y.Slice((int)(o * total * inner + offset), (int)run));
            offset += run;
            GC.KeepAlive(t);
        }
        return output;
    }

    private static (long Outer, long Size, long Inner) Split(Tensor t, int d)
    {
        if (t.Rank == 0) return (1, 1, 1);
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= t.Size(i);
        for (int i = d + 1; i < t.Rank; i++) inner *= t.Size(i);
        return (outer, t.Size(d), inner);
    }
}
