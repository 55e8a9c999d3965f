using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HubHost.Nn.Functional;

/// <summary>MaxPool2d and AdaptiveAvgPool2d on [N, C, H, W] (or [C, H, W]) float32, one plane per task.</summary>
internal static unsafe class Pooling
{
    /// <summary>PyTorch's pooling output size, including ceil_mode's rule that the last window must start inside the input or the left padding.</summary>
    internal static int PooledSize(int size, int kernel, int pad, int stride, int dilation, bool ceilMode)
    {
        long numerator = (long)size + 2 * pad - (long)dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long outSize = (numerator < 0 ? (numerator - stride + 1) / stride : numerator / stride) + 1;
        if (ceilMode && (outSize - 1) * stride >= size + pad) outSize--;
        return (int)outSize;
    }

    internal static Tensor MaxPool2d(Tensor input, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, bool ceilMode)
    {
        if (input.Rank == 3)
        {
            var batched = MaxPool2d(input.Reshape([1, .. input.Shape]), kernel, stride, padding, dilation, ceilMode);
            return batched.Reshape([.. batched.Shape.Skip(1)]);
        }
        if (input.Rank != 4) throw new ArgumentException($"MaxPool2d expects input of shape [N, C, H, W] (or [C, H, W]), got {input.ShapeString}.");
        if (kernel.H < 1 || kernel.W < 1 || stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1)
            throw new ArgumentException($"MaxPool2d needs kernel, stride and dilation >= 1, got kernel ({kernel.H}, {kernel.W}), stride ({stride.H}, {stride.W}), dilation ({dilation.H}, {dilation.W}).");
        if (padding.H < 0 || padding.W < 0 || padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentException($"MaxPool2d: padding ({padding.H}, {padding.W}) must be >= 0 and at most half the kernel size ({kernel.H}, {kernel.W}).");
        int n = (int)input.Size(0), c = (int)input.Size(1), h = (int)input.Size(2), w = (int)input.Size(3);
        int oh = PooledSize(h, kernel.H, padding.H, stride.H, dilation.H, ceilMode);
        int ow = PooledSize(w, kernel.W, padding.W, stride.W, dilation.W, ceilMode);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"MaxPool2d: input {input.ShapeString} is too small for kernel ({kernel.H}, {kernel.W}) with padding ({padding.H}, {padding.W}) and dilation ({dilation.H}, {dilation.W}) (output would be {oh}x{ow}).");
        var output = Tensor.Uninitialized(n, c, oh, ow);
        var x = input.ReadFloats();
        var y = output.Data;
        fixed (float* xp0 = x)
        fixed (float* yp0 = y)
        {
            nint xa = (nint)xp0, ya = (nint)yp0;
            Parallelism.ForRanges((long)n * c, (long)oh * ow * kernel.H * kernel.W, (lo, hi) =>
            {
                for (long plane = lo; plane < hi; plane++)
                {
                    float* xp = (float*)xa + plane * h * w;
                    float* yp = (float*)ya + plane * oh * ow;
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int y0 = oy * stride.H - padding.H;
                        int ky0 = 0, ky1 = kernel.H;
                        while (ky0 < ky1 && y0 + ky0 * dilation.H < 0) ky0++;
                        while (ky1 > ky0 && y0 + (ky1 - 1) * dilation.H >= h) ky1--;
                        int ox = 0;
                        if (stride.W == 2 && dilation.W == 1 && Avx512F.IsSupported && ky1 > ky0)
                        {
                            // 16 outputs at a time: the window's kx-th column is the even lanes of two loads
                            // starting at 2·ox - pad + kx. Outputs whose window or loads leave the row go scalar.
                            int oxStart = (padding.W + 1) / 2;
                            for (; ox < Math.Min(oxStart, ow); ox++) yp[oy * ow + ox] = MaxAt(xp, h, w, y0, ky0, ky1, ox, kernel, stride, padding, dilation);
                            for (; ox + 16 <= ow && 2 * ox - padding.W + kernel.W + 30 <= w - 1; ox += 16)
                            {
                                var max = Vector512.Create(float.NegativeInfinity);
                                var nan = Vector512<float>.Zero;
                                for (int ky = ky0; ky < ky1; ky++)
                                {
                                    float* row = xp + (long)(y0 + ky * dilation.H) * w + 2 * ox - padding.W;
                                    for (int kx = 0; kx < kernel.W; kx++)
                                    {
                                        var v = Avx512F.PermuteVar16x32x2(Vector512.Load(row + kx), EvenLanes, Vector512.Load(row + kx + 16));
                                        max = Avx512F.Max(max, v);
                                        nan |= ~Vector512.Equals(v, v);
                                    }
                                }
                                Vector512.ConditionalSelect(nan, Vector512.Create(float.NaN), max).Store(yp + oy * ow + ox);
                            }
                        }
                        for (; ox < ow; ox++) yp[oy * ow + ox] = MaxAt(xp, h, w, y0, ky0, ky1, ox, kernel, stride, padding, dilation);
                    }
                }
            });
        }
        GC.KeepAlive(input);
        return output;
    }

    private static readonly Vector512<int> EvenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    /// <summary>One output of max pooling: the window rows ky0..ky1-1 are inside the input; columns are clipped here.</summary>
    private static float MaxAt(float* xp, int h, int w, int y0, int ky0, int ky1, int ox, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
    {
        int x0 = ox * stride.W - padding.W;
        int kx0 = 0, kx1 = kernel.W;
        while (kx0 < kx1 && x0 + kx0 * dilation.W < 0) kx0++;
        while (kx1 > kx0 && x0 + (kx1 - 1) * dilation.W >= w) kx1--;
        float max = float.NegativeInfinity;
        bool nan = false;
        for (int ky = ky0; ky < ky1; ky++)
        {
            float* row = xp + (long)(y0 + ky * dilation.H) * w + x0;
            for (int kx = kx0; kx < kx1; kx++)
            {
                float v = row[kx * dilation.W];
                if (v > max) max = v;
                nan |= float.IsNaN(v);
            }
        }
        return nan ? float.NaN : max;
    }

    internal static Tensor AdaptiveAvgPool2d(Tensor input, int? outH, int? outW)
    {
        if (input.Rank == 3)
        {
            var batched = AdaptiveAvgPool2d(input.Reshape([1, .. input.Shape]), outH, outW);
            return batched.Reshape([.. batched.Shape.Skip(1)]);
        }
        if (input.Rank != 4) throw new ArgumentException($"AdaptiveAvgPool2d expects input of shape [N, C, H, W] (or [C, H, W]), got {input.ShapeString}.");
        int n = (int)input.Size(0), c = (int)input.Size(1), h = (int)input.Size(2), w = (int)input.Size(3);
        int oh = outH ?? h, ow = outW ?? w;
        if (oh < 0 || ow < 0) throw new ArgumentException($"AdaptiveAvgPool2d: output size ({oh}, {ow}) must not be negative.");
        if ((h == 0 || w == 0) && (long)n * c * oh * ow > 0)
            throw new ArgumentException($"AdaptiveAvgPool2d: input {input.ShapeString} has an empty spatial dimension.");
        var output = Tensor.Uninitialized(n, c, oh, ow);
        var x = input.ReadFloats();
        var y = output.Data;
        fixed (float* xp0 = x)
        fixed (float* yp0 = y)
        {
            nint xa = (nint)xp0, ya = (nint)yp0;
            Parallelism.ForRanges((long)n * c, (long)h * w, (lo, hi) =>
            {
                for (long plane = lo; plane < hi; plane++)
                {
                    float* xp = (float*)xa + plane * h * w;
                    float* yp = (float*)ya + plane * oh * ow;
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int ys = (int)((long)oy * h / oh), ye = (int)(((long)(oy + 1) * h + oh - 1) / oh);
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int xs = (int)((long)ox * w / ow), xe = (int)(((long)(ox + 1) * w + ow - 1) / ow);
                            float sum = 0f;
                            for (int iy = ys; iy < ye; iy++)
                                for (int ix = xs; ix < xe; ix++) sum += xp[(long)iy * w + ix];
                            yp[oy * ow + ox] = sum / ((ye - ys) * (xe - xs));
                        }
                    }
                }
            });
        }
        GC.KeepAlive(input);
        return output;
    }
}
