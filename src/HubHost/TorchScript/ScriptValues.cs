using HubHost.Checkpoints;

namespace HubHost.TorchScript;

/// <summary>An object of one of the archive's TorchScript classes after NEWOBJ and before BUILD gives it its state.</summary>
internal sealed record PendingObject(PyGlobal Class);

/// <summary>An object of one of the archive's TorchScript classes (a module or a TorchScript class) with its state.</summary>
internal sealed record ScriptObject(PyGlobal Class, object? State);

/// <summary>A Python complex number (builtins.complex).</summary>
internal sealed record PyComplex(double Real, double Imaginary);

/// <summary>A torch.device.</summary>
internal sealed record PyDevice(string Name);

/// <summary>
/// Walks the values a TorchScript pickle built: every value must be one the archive's loader gives libtorch (no
/// globals, pending objects or bare storages as data), none may contain itself, and none may nest deeper than
/// <see cref="ArchiveLimits.MaxValueDepth"/>. Iterative, so the walk itself cannot overflow the stack.
/// </summary>
internal static class ScriptValues
{
    /// <summary>Checks the graph under <paramref name="root"/>, calling <paramref name="visit"/> once for every distinct value.</summary>
    public static void Check(object? root, Func<string, Exception> error, Action<object> visit)
    {
        // Post-order: a value on the current path that is reached again is a cycle; a finished value has its height
        // (the longest chain of values from it down to a leaf, both counted).
        var height = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var path = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Frame>();
        if (Enter(root) is { } first) stack.Push(first);
        while (stack.Count > 0)
        {
            var top = stack.Peek();
            if (top.Children.MoveNext())
            {
                var child = top.Children.Current;
                if (child is null) continue;
                if (path.Contains(child)) throw error($"a {Unpickler.TypeName(child)} in its pickle contains itself, which torch.jit.save never writes");
                if (height.TryGetValue(child, out int known))
                {
                    top.Height = Math.Max(top.Height, known + 1);
                    continue;
                }
                if (Enter(child) is { } frame) stack.Push(frame);
                else top.Height = Math.Max(top.Height, 2);
                continue;
            }
            stack.Pop();
            path.Remove(top.Value);
            height[top.Value] = top.Height;
            if (top.Height > ArchiveLimits.MaxValueDepth)
                throw error($"its pickled values nest more than {ArchiveLimits.MaxValueDepth} deep, which libtorch cannot free without overflowing its stack");
            if (stack.Count > 0) stack.Peek().Height = Math.Max(stack.Peek().Height, top.Height + 1);
        }

        // Visits a value the first time it is met: a leaf is finished at once (null is returned), a container is entered.
        Frame? Enter(object? value)
        {
            if (value is null) return null;
            if (!IsLeaf(value) && !IsContainer(value))
                throw error($"its pickle holds {Describe(value)} as a value, which torch.jit.save never writes");
            visit(value);
            if (IsLeaf(value))
            {
                height[value] = 1;
                return null;
            }
            path.Add(value);
            return new Frame(value, Children(value).GetEnumerator());
        }
    }

    private sealed class Frame(object value, IEnumerator<object?> children)
    {
        public object Value { get; } = value;

        public IEnumerator<object?> Children { get; } = children;

        public int Height { get; set; } = 1;
    }

    private static bool IsLeaf(object value) => value is string or long or double or bool or TensorSpec or PyComplex or PyDevice;

    private static bool IsContainer(object value) => value is PyTuple or List<object?> or PyDict or ScriptObject;

    private static IEnumerable<object?> Children(object value)
    {
        switch (value)
        {
            case PyTuple t:
                foreach (var item in t.Items) yield return item;
                break;
            case List<object?> list:
                for (int i = 0; i < list.Count; i++) yield return list[i];
                break;
            case PyDict dict:
                foreach (var (key, item) in dict.Items)
                {
                    yield return key;
                    yield return item;
                }
                break;
            case ScriptObject obj:
                yield return obj.State;
                break;
        }
    }

    private static string Describe(object value) => value switch
    {
        PyGlobal g => $"a reference to {g.FullName}",
        PendingObject p => $"a {p.Class.FullName} object that was never built",
        StorageRef => "a bare storage",
        System.Numerics.BigInteger => "an integer beyond 64 bits",
        _ => "a " + Unpickler.TypeName(value),
    };
}
