using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HubHost.Nn.Functional;

/// <summary>
/// Single-precision matrix multiply C = A·B (+ C) on packed operands: A in panels of <see cref="MR"/> rows
/// (k-major inside a panel), B in panels of <see cref="NR"/> columns; a register-tiled microkernel of MR×NR
/// accumulators (Vector512 + FMA where available), K blocked by <see cref="KC"/> so a B micro-panel stays in
/// L1 while the A block streams from L2, and the tile grid split over the cores.
/// </summary>
internal static unsafe class Sgemm
{
    /// <summary>Rows of a microkernel tile (rows of A broadcast per k).</summary>
    internal const int MR = 8;

    /// <summary>Columns of a microkernel tile: two vectors of the widest accelerated width.</summary>
    internal static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>Depth of one K block.</summary>
    internal const int KC = 256;

    private static readonly bool Use512 = Vector512.IsHardwareAccelerated;
    private static readonly bool Use256 = !Vector512.IsHardwareAccelerated && Vector256.IsHardwareAccelerated;

    /// <summary>Floats needed to pack an M×K matrix as A.</summary>
    internal static long PackedASize(int m, int k) => (long)((m + MR - 1) / MR) * MR * k;

    /// <summary>Floats needed to pack a K×N matrix as B.</summary>
    internal static long PackedBSize(int k, int n) => (long)((n + NR - 1) / NR) * NR * k;

    /// <summary>Packs A (element (i, k) at <c>src[i*rowStride + k*colStride]</c>) into MR-row panels, zero-padding the last.</summary>
    internal static void PackA(float* src, long rowStride, long colStride, int m, int k, float* dst)
    {
        int panels = (m + MR - 1) / MR;
        for (int p = 0; p < panels; p++)
        {
            float* d = dst + (long)p * k * MR;
            int rows = Math.Min(MR, m - p * MR);
            for (int r = 0; r < MR; r++)
            {
                if (r >= rows)
                {
                    for (int kk = 0; kk < k; kk++) d[kk * MR + r] = 0f;
                    continue;
                }
                float* s = src + (p * MR + r) * rowStride;
                for (int kk = 0; kk < k; kk++) d[kk * MR + r] = s[kk * colStride];
            }
        }
    }

    /// <summary>Packs B (element (k, j) at <c>src[k*rowStride + j*colStride]</c>) into NR-column panels, zero-padding the last.</summary>
    internal static void PackB(float* src, long rowStride, long colStride, int k, int n, float* dst)
    {
        int nr = NR;
        int panels = (n + nr - 1) / nr;
        for (int q = 0; q < panels; q++)
        {
            float* d = dst + (long)q * k * nr;
            int cols = Math.Min(nr, n - q * nr);
            for (int kk = 0; kk < k; kk++)
            {
                float* row = d + (long)kk * nr;
                float* s = src + kk * rowStride + (long)q * nr * colStride;
                if (colStride == 1 && cols == nr)
                {
                    new ReadOnlySpan<float>(s, nr).CopyTo(new Span<float>(row, nr));
                    continue;
                }
                int j = 0;
                for (; j < cols; j++) row[j] = s[j * colStride];
                for (; j < nr; j++) row[j] = 0f;
            }
        }
    }

    /// <summary>
    /// C (M×N, row stride <paramref name="ldc"/>) = packed A (M×K) · packed B (K×N), plus C's previous
    /// contents when <paramref name="accumulate"/>. Splits the work over the cores.
    /// </summary>
    internal static void Multiply(int m, int n, int k, float* packedA, float* packedB, float* c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        int mPanels = (m + MR - 1) / MR;
        int nPanels = (n + NR - 1) / NR;
        int threads = Parallelism.Threads;
        double work = (double)m * n * k;
        if (threads <= 1 || work < 1 << 18 || (mPanels == 1 && nPanels == 1))
        {
            Block(0, mPanels, 0, nPanels, m, n, k, packedA, packedB, c, ldc, accumulate);
            return;
        }
        bool splitN = nPanels >= mPanels;
        int panels = splitN ? nPanels : mPanels;
        int chunks = Math.Min(threads, panels);
        nint a = (nint)packedA, b = (nint)packedB, cc = (nint)c;
        Parallelism.For(chunks, t =>
        {
            int lo = (int)((long)panels * t / chunks), hi = (int)((long)panels * (t + 1) / chunks);
            if (splitN) Block(0, mPanels, lo, hi, m, n, k, (float*)a, (float*)b, (float*)cc, ldc, accumulate);
            else Block(lo, hi, 0, nPanels, m, n, k, (float*)a, (float*)b, (float*)cc, ldc, accumulate);
        });
    }

    /// <summary>The tiles of A panels p0..p1-1 × B panels q0..q1-1 (panel q at <c>packedB + q·K·NR</c>), all K blocks, on this thread.</summary>
    internal static void Block(int p0, int p1, int q0, int q1, int m, int n, int k, float* packedA, float* packedB, float* c, int ldc, bool accumulate)
    {
        int nr = NR;
        float* edge = stackalloc float[MR * 32];
        for (int kb = 0; kb < k; kb += KC)
        {
            int kc = Math.Min(KC, k - kb);
            bool acc = accumulate || kb > 0;
            for (int q = q0; q < q1; q++)
            {
                float* bq = packedB + (long)q * k * nr + (long)kb * nr;
                int cols = Math.Min(nr, n - q * nr);
                for (int p = p0; p < p1; p++)
                {
                    float* ap = packedA + (long)p * k * MR + (long)kb * MR;
                    int rows = Math.Min(MR, m - p * MR);
                    float* ct = c + (long)p * MR * ldc + (long)q * nr;
                    if (rows == MR && cols == nr)
                    {
                        Kernel(kc, ap, bq, ct, ldc, acc);
                        continue;
                    }
                    // Edge tile: compute the full tile into a scratch tile, copy the valid part.
                    for (int r = 0; r < MR; r++)
                        for (int j = 0; j < nr; j++)
                            edge[r * nr + j] = acc && r < rows && j < cols ? ct[(long)r * ldc + j] : 0f;
                    Kernel(kc, ap, bq, edge, nr, true);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < cols; j++)
                            ct[(long)r * ldc + j] = edge[r * nr + j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, float* a, float* b, float* c, long ldc, bool accumulate)
    {
        if (Use512) Kernel512(kc, a, b, c, ldc, accumulate);
        else if (Use256) Kernel256(kc, a, b, c, ldc, accumulate);
        else KernelScalar(kc, a, b, c, ldc, accumulate);
    }

    /// <summary>8×32 tile: 16 Vector512 accumulators, two B vectors and one broadcast per k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* a, float* b, float* c, long ldc, bool accumulate)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate)
        {
            c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
            c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
            c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16);
            c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector512<float>.Zero;
            c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<float>.Zero;
        }
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            a += MR;
            b += 32;
        }
        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
        c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
    }

    /// <summary>8×16 tile with Vector256: 16 accumulators (AVX2 has 16 registers, so some spill; still far ahead of scalar).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, float* b, float* c, long ldc, bool accumulate)
    {
        // Two passes of 8×8 keep the live registers at 8 accumulators + 1 B + 1 broadcast.
        for (int half = 0; half < 2; half++)
        {
            float* ch = c + half * 8;
            float* bh = b + half * 8;
            float* ak = a;
            Vector256<float> c0, c1, c2, c3, c4, c5, c6, c7;
            if (accumulate)
            {
                c0 = Vector256.Load(ch); c1 = Vector256.Load(ch + ldc); c2 = Vector256.Load(ch + 2 * ldc); c3 = Vector256.Load(ch + 3 * ldc);
                c4 = Vector256.Load(ch + 4 * ldc); c5 = Vector256.Load(ch + 5 * ldc); c6 = Vector256.Load(ch + 6 * ldc); c7 = Vector256.Load(ch + 7 * ldc);
            }
            else c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = Vector256<float>.Zero;
            for (int k = 0; k < kc; k++)
            {
                var bv = Vector256.Load(bh);
                c0 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[0]), bv, c0);
                c1 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[1]), bv, c1);
                c2 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[2]), bv, c2);
                c3 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[3]), bv, c3);
                c4 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[4]), bv, c4);
                c5 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[5]), bv, c5);
                c6 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[6]), bv, c6);
                c7 = Vector256.FusedMultiplyAdd(Vector256.Create(ak[7]), bv, c7);
                ak += MR;
                bh += 16;
            }
            c0.Store(ch); c1.Store(ch + ldc); c2.Store(ch + 2 * ldc); c3.Store(ch + 3 * ldc);
            c4.Store(ch + 4 * ldc); c5.Store(ch + 5 * ldc); c6.Store(ch + 6 * ldc); c7.Store(ch + 7 * ldc);
        }
    }

    private static void KernelScalar(int kc, float* a, float* b, float* c, long ldc, bool accumulate)
    {
        int nr = NR;
        for (int r = 0; r < MR; r++)
        {
            for (int j = 0; j < nr; j++)
            {
                float sum = accumulate ? c[r * ldc + j] : 0f;
                for (int k = 0; k < kc; k++) sum = MathF.FusedMultiplyAdd(a[k * MR + r], b[k * nr + j], sum);
                c[r * ldc + j] = sum;
            }
        }
    }
}
