using System.Collections;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HubHost.Inference;

/// <summary>
/// Folds each eval-mode batch norm into the convolution whose output it alone consumes: W' = W·γ/√(σ²+ε),
/// b' = (b − μ)·γ/√(σ²+ε) + β, and the batch norm replaced by <c>nn.Identity</c> where its parent calls it.
/// </summary>
/// <remarks>
/// A TorchSharp module has no graph, so which convolution feeds which batch norm is found by running the model once on an
/// example input with hooks on every <c>Module&lt;Tensor, Tensor&gt;</c>: a pair is folded only when every call of the
/// convolution fed exactly that batch norm, the batch norm took nothing else, and no other module took the convolution's
/// output. An output used by code outside modules (<c>x + conv(x)</c>) is invisible to hooks, so the folded model is run
/// again on the example and everything is undone when its output is not the unfolded one's (max |Δ| / max |y| ≤ 1e-4,
/// against the ~1e-6 rounding of a correct fold and the O(1) change of a wrong one).
/// </remarks>
internal static class BatchNormFolding
{
    /// <summary>The largest relative difference accepted between the folded and the unfolded model's outputs.</summary>
    internal const double Tolerance = 1e-4;

    /// <summary>What folding did: the pairs folded, and why nothing was when verification failed.</summary>
    internal sealed record Result(int Folded, string? Reverted);

    /// <summary>
    /// Folds the batch norms of <paramref name="model"/> (put into eval mode) found by running <paramref name="run"/>
    /// (the model called on the example) once, and verifies the result by running it again.
    /// </summary>
    internal static Result Fold(nn.Module model, Func<Tensor> run)
    {
        model.eval();
        var (pairs, reference) = Discover(model, run);
        using var _ = reference;
        var plans = pairs.Select(p => Plan(model, p)).OfType<FoldPlan>().ToList();
        if (plans.Count == 0) return new Result(0, null);
        foreach (var plan in plans) plan.Apply();
        using (var check = Run(run))
        {
            var difference = RelativeDifference(reference, check);
            if (difference <= Tolerance)
            {
                foreach (var plan in plans) plan.Commit();
                return new Result(plans.Count, null);
            }
            foreach (var plan in plans) plan.Undo();
            return new Result(0, $"the folded model's output differed from the unfolded one's by {difference:G3} (relative), so a convolution's output is used outside modules; nothing was folded");
        }
    }

    /// <summary>max |a − b| / max |a| in float64 (0 when both are zero).</summary>
    internal static double RelativeDifference(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        if (!a.shape.SequenceEqual(b.shape)) return double.PositiveInfinity;
        var a64 = a.to(ScalarType.Float64);
        var absolute = (a64 - b.to(ScalarType.Float64)).abs().max().item<double>();
        var scale = a64.abs().max().item<double>();
        return scale == 0 ? (absolute == 0 ? 0 : double.PositiveInfinity) : absolute / scale;
    }

    private static Tensor Run(Func<Tensor> run)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        return run().MoveToOuterDisposeScope();
    }

    /// <summary>Runs the model once with hooks on every tensor-to-tensor module and returns the pairs to fold and the output.</summary>
    private static (List<(Convolution Conv, BatchNorm Norm)> Pairs, Tensor Output) Discover(nn.Module model, Func<Tensor> run)
    {
        var producedBy = new Dictionary<Tensor, Convolution>(ReferenceEqualityComparer.Instance);
        var uses = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        var calls = new Dictionary<nn.Module, int>(ReferenceEqualityComparer.Instance);
        var fed = new Dictionary<(Convolution, BatchNorm), int>();
        var convOutputs = new List<(Convolution Conv, Tensor Output)>();
        var removers = new List<Action>();
        try
        {
            foreach (var module in model.modules().Prepend(model).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>())
            {
                if (module is not nn.Module<Tensor, Tensor> hookable) continue;
                var pre = hookable.register_forward_pre_hook((m, input) =>
                {
                    calls[m] = calls.GetValueOrDefault(m) + 1;
                    uses[input] = uses.GetValueOrDefault(input) + 1;
                    if (m is BatchNorm norm && producedBy.TryGetValue(input, out var conv))
                        fed[(conv, norm)] = fed.GetValueOrDefault((conv, norm)) + 1;
                    return null!;
                });
                removers.Add(pre.remove);
                if (module is Convolution)
                {
                    var post = hookable.register_forward_hook((m, _, output) =>
                    {
                        producedBy[output] = (Convolution)m;
                        convOutputs.Add(((Convolution)m, output));
                        return null!;
                    });
                    removers.Add(post.remove);
                }
            }
            var output = Run(run);
            var pairs = fed
                .Where(p => p.Value == calls.GetValueOrDefault(p.Key.Item1) && p.Value == calls.GetValueOrDefault(p.Key.Item2))
                .Where(p => convOutputs.Where(c => ReferenceEquals(c.Conv, p.Key.Item1)).All(c => uses.GetValueOrDefault(c.Output) == 1))
                .Select(p => p.Key)
                .ToList();
            return (pairs, output);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }

    /// <summary>How to fold one pair, or null when it cannot be (a transposed convolution, batch statistics, a parent that cannot take an Identity).</summary>
    private static FoldPlan? Plan(nn.Module model, (Convolution Conv, BatchNorm Norm) pair)
    {
        var (conv, norm) = pair;
        if (conv.transposed || norm.running_mean is null || norm.running_var is null) return null;
        if (conv.weight.shape[0] != norm.running_mean.shape[0]) return null;
        var places = Places(model, norm);
        return places is null ? null : new FoldPlan(conv, norm, places);
    }

    /// <summary>
    /// Where the batch norm is held and can be replaced by an Identity: every module containing it as a direct child,
    /// through the field(s) its forward reads and its registered children. Null when any of them cannot be replaced.
    /// </summary>
    private static List<Place>? Places(nn.Module model, BatchNorm norm)
    {
        var places = new List<Place>();
        foreach (var parent in Parents(model, norm))
        {
            if (parent is Sequential)
            {
                if (SequentialList(parent) is not { } list) return null;
                for (var i = 0; i < list.Count; i++)
                    if (ReferenceEquals(list[i], norm)) places.Add(new Place(parent, null, i, null));
                continue;
            }
            var fields = Fields(parent.GetType()).Where(f => !f.FieldType.IsValueType && ReferenceEquals(f.GetValue(parent), norm)).ToList();
            if (fields.Count == 0 || fields.Any(f => !f.FieldType.IsAssignableFrom(typeof(Identity)))) return null;
            var names = parent.named_children().Where(c => ReferenceEquals(c.module, norm)).Select(c => c.name).ToList();
            foreach (var field in fields) places.Add(new Place(parent, field, -1, null));
            foreach (var name in names) places.Add(new Place(parent, null, -1, name));
        }
        return places.Count == 0 ? null : places;
    }

    /// <summary>The modules of <paramref name="model"/> (itself included) holding <paramref name="child"/> as a direct child.</summary>
    private static IEnumerable<nn.Module> Parents(nn.Module model, nn.Module child)
    {
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var module in model.modules().Prepend(model))
            if (seen.Add(module) && module.named_children().Any(c => ReferenceEquals(c.module, child)))
                yield return module;
    }

    private static IList? SequentialList(nn.Module sequential)
        => typeof(Sequential).GetField("_modules", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(sequential) as IList;

    private static IEnumerable<FieldInfo> Fields(Type? type)
    {
        for (; type is not null && type != typeof(nn.Module); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                yield return field;
    }

    private static FieldInfo? SubmodulesField()
        => typeof(nn.Module).GetField("_internal_submodules", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>One place the batch norm sits: a field of its parent, a slot of a Sequential, or a registered child name.</summary>
    private sealed record Place(nn.Module Parent, FieldInfo? Field, int Index, string? Name);

    /// <summary>One pair to fold, with what is needed to undo it.</summary>
    private sealed class FoldPlan(Convolution conv, BatchNorm norm, List<Place> places)
    {
        private Tensor? _weight;
        private bool _hadBias;
        private Tensor? _bias;
        private Identity? _identity;

        public void Apply()
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var weight = conv.weight;
            _weight = weight.clone().MoveToOuterDisposeScope();
            _hadBias = conv.bias is not null;
            _bias = conv.bias?.clone().MoveToOuterDisposeScope();
            var dtype = weight.dtype;
            var scale = norm.running_var!.to(ScalarType.Float64).add(norm.eps).rsqrt();
            if (norm.weight is { } gamma) scale = scale * gamma.to(ScalarType.Float64);
            var shift = -norm.running_mean!.to(ScalarType.Float64);
            if (conv.bias is { } b) shift = shift + b.to(ScalarType.Float64);
            var bias = shift * scale;
            if (norm.bias is { } beta) bias = bias + beta.to(ScalarType.Float64);
            var shape = new long[weight.dim()];
            Array.Fill(shape, 1L);
            shape[0] = -1;
            weight.copy_((weight.to(ScalarType.Float64) * scale.reshape(shape)).to(dtype));
            if (conv.bias is { } existing) existing.copy_(bias.to(dtype));
            else conv.bias = nn.Parameter(bias.to(dtype).MoveToOuterDisposeScope(), requires_grad: false);
            _identity = nn.Identity();
            Replace(_identity);
        }

        public void Undo()
        {
            using var noGrad = no_grad();
            conv.weight.copy_(_weight!);
            if (_hadBias) conv.bias!.copy_(_bias!);
            else conv.bias = null;
            Replace(norm);
            Release();
            _identity?.Dispose();
        }

        /// <summary>The fold stays: the batch norm, no longer in the model, is disposed.</summary>
        public void Commit()
        {
            Release();
            norm.Dispose();
        }

        private void Release()
        {
            _weight?.Dispose();
            _bias?.Dispose();
        }

        private void Replace(nn.Module to)
        {
            foreach (var place in places)
            {
                if (place.Field is { } field) field.SetValue(place.Parent, to);
                else if (place.Index >= 0) SequentialList(place.Parent)![place.Index] = to;
                else if (place.Name is { } name && SubmodulesField()?.GetValue(place.Parent) is { } registered)
                    registered.GetType().GetProperty("Item", [typeof(string)])!.SetValue(registered, to, [name]);
            }
        }
    }
}
