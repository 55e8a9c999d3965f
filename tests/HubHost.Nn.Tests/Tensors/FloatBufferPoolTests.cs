using HubHost.Nn.Modules;

namespace HubHost.Nn.Tests.Tensors;

/// <summary>Kernel outputs reuse the arrays of unreachable tensors; live tensors must never see their data change.</summary>
public class FloatBufferPoolTests
{
    [Fact]
    public void Arrays_of_collected_outputs_are_reused()
    {
        var conv = new Conv2d(8, 16, 3, padding: 1);
        var input = Tensor.Ones(1, 8, 64, 64); // output 16x64x64 = 65536 floats: pooled
        static WeakReference Run(Conv2d c, Tensor x) => new(c.Forward(x).Storage);
        var weak = Run(conv, input);
        for (int i = 0; i < 5 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive);
        var again = conv.Forward(input);
        Assert.IsType<PooledFloatStorage>(again.Storage);
    }

    [Fact]
    public void Live_outputs_keep_their_values_while_other_outputs_are_recycled_on_two_threads()
    {
        var model = new Sequential(new Conv2d(3, 16, 3, padding: 1), new BatchNorm2d(16), new ReLU(inPlace: true), new Conv2d(16, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2));
        model.Eval();
        var input = Tensor.FromArray(Enumerable.Range(0, 3 * 80 * 80).Select(i => (float)Math.Sin(i * 0.01)).ToArray(), 1, 3, 80, 80);
        var expected = model.Forward(input).ToArray();
        var kept = new List<Tensor>();
        Parallel.For(0, 2, _ =>
        {
            for (int i = 0; i < 15; i++)
            {
                var y = model.Forward(input);
                if (i % 5 == 0) lock (kept) kept.Add(y);
                Assert.Equal(expected, y.ToArray());
                if (i % 3 == 0)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }
        });
        foreach (var y in kept) Assert.Equal(expected, y.ToArray());
    }
}
