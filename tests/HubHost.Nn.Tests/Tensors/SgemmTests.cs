using HubHost.Nn.Functional;

namespace HubHost.Nn.Tests.Tensors;

/// <summary>The packed SGEMM against a double-precision reference, over sizes that hit every edge case.</summary>
public unsafe class SgemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(8, 32, 16)]
    [InlineData(7, 5, 3)]
    [InlineData(9, 33, 17)]
    [InlineData(64, 100, 300)]   // several K blocks
    [InlineData(70, 257, 144)]   // parallel split over N, edge tiles in both directions
    [InlineData(130, 20, 513)]   // parallel split over M
    public void Multiply_matches_a_reference(int m, int n, int k)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var c0 = Enumerable.Range(0, m * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        foreach (bool accumulate in new[] { false, true })
        {
            var c = (float[])c0.Clone();
            var pa = new float[Sgemm.PackedASize(m, k)];
            var pb = new float[Sgemm.PackedBSize(k, n)];
            fixed (float* ap = a, bp = b, cp = c, pap = pa, pbp = pb)
            {
                Sgemm.PackA(ap, k, 1, m, k, pap);
                Sgemm.PackB(bp, n, 1, k, n, pbp);
                Sgemm.Multiply(m, n, k, pap, pbp, cp, n, accumulate);
            }
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = accumulate ? c0[i * n + j] : 0;
                    for (int kk = 0; kk < k; kk++) sum += (double)a[i * k + kk] * b[kk * n + j];
                    Assert.True(Math.Abs(sum - c[i * n + j]) <= 1e-4 * Math.Sqrt(k) + 1e-5, $"C[{i},{j}] = {c[i * n + j]}, expected {sum} (accumulate {accumulate})");
                }
            }
        }
    }
}
