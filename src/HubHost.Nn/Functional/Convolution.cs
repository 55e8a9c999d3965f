using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HubHost.Nn.Functional;

/// <summary>
/// A Conv2d weight packed for Sgemm, one block per group, in the form(s) the calls need: as A (out channels x k)
/// and/or transposed as B (k x out channels), each made on first use. Remembers which weight version it packs.
/// </summary>
internal sealed unsafe class PackedConvWeight(Tensor weight, int groups)
{
    public Tensor Source { get; } = weight;

    public int Version { get; } = weight.Version;

    /// <summary>The weight packed as Sgemm's A operand, or null until <see cref="EnsureNormal"/>.</summary>
    public float[]? Data { get; private set; }

    /// <summary>The weight transposed and packed as Sgemm's B operand (Wᵀ: k x out channels), or null until <see cref="EnsureTransposed"/>.</summary>
    public float[]? TransposedData { get; private set; }

    public bool Matches(Tensor w) => ReferenceEquals(w, Source) && w.Version == Version;

    public void EnsureNormal()
    {
        if (Data is not null) return;
        var (coutG, k) = Sizes();
        long size = Sgemm.PackedASize(coutG, k);
        var data = GC.AllocateUninitializedArray<float>(checked((int)(size * groups)), pinned: true);
        var w = Source.ReadFloats();
        fixed (float* src = w)
        fixed (float* dst = data)
        {
            for (int g = 0; g < groups; g++)
                Sgemm.PackA(src + (long)g * coutG * k, k, 1, coutG, k, dst + g * size);
        }
        GC.KeepAlive(Source);
        Data = data;
    }

    public void EnsureTransposed()
    {
        if (TransposedData is not null) return;
        var (coutG, k) = Sizes();
        long size = Sgemm.PackedBSize(k, coutG);
        var data = GC.AllocateUninitializedArray<float>(checked((int)(size * groups)), pinned: true);
        var w = Source.ReadFloats();
        fixed (float* src = w)
        fixed (float* dst = data)
        {
            for (int g = 0; g < groups; g++)
                Sgemm.PackB(src + (long)g * coutG * k, 1, k, k, coutG, dst + g * size);
        }
        GC.KeepAlive(Source);
        TransposedData = data;
    }

    private (int CoutG, int K) Sizes() => ((int)(Source.Size(0) / groups), (int)(Source.NumberOfElements / Source.Size(0)));
}

/// <summary>Conv2d as im2col (written straight into Sgemm's packed B layout) times the packed weight.</summary>
internal static unsafe class Convolution
{
    private static readonly Vector512<int> EvenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    internal static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups, PackedConvWeight? packed)
    {
        if (input.Rank == 3)
        {
            var batched = Conv2d(input.Reshape([1, .. input.Shape]), weight, bias, stride, padding, dilation, groups, packed);
            return batched.Reshape([.. batched.Shape.Skip(1)]);
        }
        if (input.Rank != 4)
            throw new ArgumentException($"Conv2d expects input of shape [N, C, H, W] (or [C, H, W]), got {input.ShapeString}.");
        if (weight.Rank != 4)
            throw new ArgumentException($"Conv2d expects weight of shape [Cout, Cin/groups, kH, kW], got {weight.ShapeString}.");
        if (groups < 1) throw new ArgumentException($"Conv2d groups must be positive, got {groups}.");
        if (stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"Conv2d needs stride and dilation >= 1 and padding >= 0, got stride ({stride.H}, {stride.W}), padding ({padding.H}, {padding.W}), dilation ({dilation.H}, {dilation.W}).");
        int n = (int)input.Size(0), cin = (int)input.Size(1), h = (int)input.Size(2), w = (int)input.Size(3);
        int cout = (int)weight.Size(0), cinG = (int)weight.Size(1), kh = (int)weight.Size(2), kw = (int)weight.Size(3);
        if (cin != cinG * groups)
            throw new ArgumentException($"Conv2d: weight of shape {weight.ShapeString} with groups={groups} expects input with {cinG * groups} channels, but got input of shape {input.ShapeString}.");
        if (cout % groups != 0)
            throw new ArgumentException($"Conv2d: {cout} output channels are not divisible by groups={groups}.");
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != cout))
            throw new ArgumentException($"Conv2d: bias of shape {bias.ShapeString} does not match {cout} output channels.");
        int oh = (h + 2 * padding.H - dilation.H * (kh - 1) - 1) / stride.H + 1;
        int ow = (w + 2 * padding.W - dilation.W * (kw - 1) - 1) / stride.W + 1;
        if (h + 2 * padding.H - dilation.H * (kh - 1) - 1 < 0 || w + 2 * padding.W - dilation.W * (kw - 1) - 1 < 0)
            throw new ArgumentException($"Conv2d: input {input.ShapeString} (padded by ({padding.H}, {padding.W})) is smaller than the dilated kernel ({dilation.H * (kh - 1) + 1} x {dilation.W * (kw - 1) + 1}).");

        if (packed is null || !packed.Matches(weight)) packed = new PackedConvWeight(weight, groups);
        int coutG = cout / groups;
        int k = cinG * kh * kw;
        int spatial = oh * ow;
        var output = Tensor.Uninitialized(n, cout, oh, ow);
        var x = input.ReadFloats();
        var y = output.Data;
        ReadOnlySpan<float> b = bias is null ? default : bias.ReadFloats();
        int nr = Sgemm.NR;
        int nPanels = (spatial + nr - 1) / nr;
        int threads = Parallelism.Threads;
        // Many output columns: each core im2cols a few column panels into its own cache-sized buffer and
        // multiplies them right away (the packed matrix never goes out to memory). Few columns: im2col the
        // whole (small) matrix once and let the multiply split the output rows over the cores.
        bool fused = nPanels >= 4 * threads;
        // At most 256 KB of packed columns per chunk, and at least 8 chunks per core so that cores claiming
        // chunks as they go finish together even when one of them is slowed down.
        int panelsPerChunk = Math.Max(1, Math.Min((1 << 16) / (k * nr), nPanels / (8 * threads)));
        long normalWork = Sgemm.PackedBSize(1, spatial) * Sgemm.PackedASize(coutG, 1);
        long transposedWork = Sgemm.PackedASize(spatial, 1) * Sgemm.PackedBSize(1, coutG);
        bool transposed = !fused && transposedWork * 10 < normalWork * 9;
        if (transposed) packed.EnsureTransposed();
        else packed.EnsureNormal();
        long bufferSize = fused ? 1 : transposed ? Sgemm.PackedASize(spatial, k) + (long)spatial * coutG : Sgemm.PackedBSize(k, spatial);
        var buffer = ArrayPool<float>.Shared.Rent(checked((int)bufferSize));
        try
        {
            fixed (float* xp = x)
            fixed (float* yp = y)
            fixed (float* bp = buffer)
            fixed (float* ap = packed.Data)
            fixed (float* biasp = b)
            fixed (float* tp = packed.TransposedData)
            {
                for (int img = 0; img < n; img++)
                {
                    for (int g = 0; g < groups; g++)
                    {
                        float* src = xp + ((long)img * cin + (long)g * cinG) * h * w;
                        float* dst = yp + ((long)img * cout + (long)g * coutG) * spatial;
                        float* weights = ap + g * Sgemm.PackedASize(coutG, k);
                        bool accumulate = biasp != null;
                        if (!fused && transposed)
                        {
                            // Few output positions: Cᵀ[positions x channels] = im2colᵀ · Wᵀ wastes less of the
                            // 8x32 tiles (e.g. 49 positions: 56 rows computed instead of 64 columns).
                            Im2ColPacked(src, cinG, h, w, kh, kw, stride, padding, dilation, oh, ow, bp, Sgemm.MR);
                            float* ct = bp + Sgemm.PackedASize(spatial, k);
                            Sgemm.Multiply(spatial, coutG, k, bp, tp + g * Sgemm.PackedBSize(k, coutG), ct, coutG, accumulate: false);
                            for (int o = 0; o < coutG; o++)
                            {
                                float bo = biasp != null ? biasp[g * coutG + o] : 0f;
                                float* row = dst + (long)o * spatial;
                                for (int sIdx = 0; sIdx < spatial; sIdx++) row[sIdx] = ct[(long)sIdx * coutG + o] + bo;
                            }
                            continue;
                        }
                        if (accumulate)
                            for (int o = 0; o < coutG; o++) new Span<float>(dst + (long)o * spatial, spatial).Fill(biasp[g * coutG + o]);
                        if (!fused)
                        {
                            Im2ColPacked(src, cinG, h, w, kh, kw, stride, padding, dilation, oh, ow, bp, nr);
                            Sgemm.Multiply(coutG, spatial, k, weights, bp, dst, spatial, accumulate);
                            continue;
                        }
                        int chunks = (nPanels + panelsPerChunk - 1) / panelsPerChunk;
                        nint srcA = (nint)src, dstA = (nint)dst, wA = (nint)weights;
                        int claimed = -1;
                        Parallelism.For(Math.Min(threads, chunks), _ =>
                        {
                            var local = ArrayPool<float>.Shared.Rent(panelsPerChunk * k * nr);
                            try
                            {
                                fixed (float* lp = local)
                                {
                                    int chunk;
                                    while ((chunk = Interlocked.Increment(ref claimed)) < chunks)
                                    {
                                        int q0 = chunk * panelsPerChunk, q1 = Math.Min(nPanels, q0 + panelsPerChunk);
                                        float* panel0 = lp - (long)q0 * k * nr; // panel q lives at panel0 + q·k·NR
                                        Im2ColPanels((float*)srcA, cinG, h, w, kh, kw, stride, padding, dilation, oh, ow, q0, q1, panel0, nr);
                                        Sgemm.Block(0, (coutG + Sgemm.MR - 1) / Sgemm.MR, q0, q1, coutG, spatial, k, (float*)wA, panel0, (float*)dstA, spatial, accumulate);
                                    }
                                }
                            }
                            finally
                            {
                                ArrayPool<float>.Shared.Return(local);
                            }
                        });
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
        GC.KeepAlive(input);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return output;
    }

    /// <summary>
    /// Writes the im2col matrix (K = c·kh·kw rows, N = oh·ow columns) of one image's channels directly in
    /// Sgemm's packed layout: per panel of <paramref name="panelWidth"/> columns, per k, that many consecutive
    /// output positions (NR wide: packed B; MR wide: its transpose packed as A). Runs of output
    /// positions on one output row read one input row, so stride-1 rows are block copies.
    /// </summary>
    internal static void Im2ColPacked(float* input, int channels, int h, int w, int kh, int kw, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int oh, int ow, float* dst, int panelWidth)
    {
        int nr = panelWidth;
        int spatial = oh * ow;
        int panels = (spatial + nr - 1) / nr;
        int k = channels * kh * kw;
        nint inputPtr = (nint)input, dstPtr = (nint)dst;
        Parallelism.ForRanges(panels, (long)k * nr, (lo, hi) => Im2ColPanels((float*)inputPtr, channels, h, w, kh, kw, stride, padding, dilation, oh, ow, lo, hi, (float*)dstPtr, nr));
    }

    /// <summary>Writes column panels <paramref name="lo"/>..<paramref name="hi"/>-1 of the packed im2col matrix; panel q goes to <c>panel0 + q·K·panelWidth</c>.</summary>
    internal static void Im2ColPanels(float* inp, int channels, int h, int w, int kh, int kw, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int oh, int ow, long lo, long hi, float* panel0, int panelWidth)
    {
        int nr = panelWidth;
        int spatial = oh * ow;
        int k = channels * kh * kw;
        Span<int> segStart = stackalloc int[nr];
        Span<int> segLen = stackalloc int[nr];
        Span<int> segRow = stackalloc int[nr];
        Span<int> segCol = stackalloc int[nr];
        for (long q = lo; q < hi; q++)
        {
            float* panel = panel0 + q * k * nr;
            int n0 = (int)q * nr;
            int cols = Math.Min(nr, spatial - n0);
            int segments = 0;
            for (int pos = n0; pos < n0 + cols;)
            {
                int r = pos / ow, c0 = pos % ow;
                int len = Math.Min(ow - c0, n0 + cols - pos);
                segStart[segments] = pos - n0; segLen[segments] = len; segRow[segments] = r; segCol[segments] = c0;
                segments++;
                pos += len;
            }
            for (int c = 0; c < channels; c++)
            {
                float* plane = inp + (long)c * h * w;
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        float* row = panel + (long)((c * kh + ky) * kw + kx) * nr;
                        if (cols < nr) new Span<float>(row + cols, nr - cols).Clear();
                        for (int s = 0; s < segments; s++)
                        {
                            float* d = row + segStart[s];
                            int len = segLen[s];
                            int iy = segRow[s] * stride.H - padding.H + ky * dilation.H;
                            if ((uint)iy >= (uint)h)
                            {
                                new Span<float>(d, len).Clear();
                                continue;
                            }
                            float* srcRow = plane + (long)iy * w;
                            int ix0 = segCol[s] * stride.W - padding.W + kx * dilation.W;
                            if (stride.W == 1)
                            {
                                int t0 = Math.Max(0, -ix0), t1 = Math.Min(len, w - ix0);
                                if (t1 <= t0)
                                {
                                    new Span<float>(d, len).Clear();
                                    continue;
                                }
                                for (int t = 0; t < t0; t++) d[t] = 0f;
                                float* from = srcRow + ix0;
                                int tc = t0;
                                if (Vector512.IsHardwareAccelerated)
                                    for (; tc + 16 <= t1; tc += 16) Vector512.Load(from + tc).Store(d + tc);
                                for (; tc + 8 <= t1; tc += 8) Vector256.Load(from + tc).Store(d + tc);
                                for (; tc < t1; tc++) d[tc] = from[tc];
                                for (int t = t1; t < len; t++) d[t] = 0f;
                            }
                            else if (stride.W == 2 && Avx512F.IsSupported)
                            {
                                // Even elements of two loaded vectors per 16 outputs, bounds handled by scalar head and tail.
                                int t = 0;
                                for (; t < len && ix0 + 2 * t < 0; t++) d[t] = 0f;
                                for (; t + 16 <= len && ix0 + 2 * t + 32 <= w; t += 16)
                                {
                                    float* p = srcRow + ix0 + 2 * t;
                                    Avx512F.PermuteVar16x32x2(Vector512.Load(p), EvenLanes, Vector512.Load(p + 16)).Store(d + t);
                                }
                                for (; t < len; t++)
                                {
                                    int ix = ix0 + 2 * t;
                                    d[t] = (uint)ix < (uint)w ? srcRow[ix] : 0f;
                                }
                            }
                            else
                            {
                                int sw = stride.W;
                                for (int t = 0; t < len; t++)
                                {
                                    int ix = ix0 + t * sw;
                                    d[t] = (uint)ix < (uint)w ? srcRow[ix] : 0f;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
