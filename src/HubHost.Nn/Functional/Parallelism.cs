namespace HubHost.Nn.Functional;

/// <summary>Runs independent chunks of a kernel on the machine's cores.</summary>
internal static class Parallelism
{
    /// <summary>How many chunks compute kernels split into (the processor count).</summary>
    internal static int Threads { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Runs <paramref name="body"/> for 0..count-1, on several cores when count &gt; 1.</summary>
    internal static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || Threads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }

    /// <summary>Splits 0..count-1 into at most <see cref="Threads"/> contiguous ranges run in parallel (serially when the work is small).</summary>
    internal static void ForRanges(long count, long workPerItem, Action<long, long> body)
    {
        if (count <= 0) return;
        int chunks = (int)Math.Min(Threads, count);
        if (chunks <= 1 || count * workPerItem < 1 << 15)
        {
            body(0, count);
            return;
        }
        For(chunks, t => body(count * t / chunks, count * (t + 1) / chunks));
    }
}
