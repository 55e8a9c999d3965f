using TorchSharp;

namespace HubHost;

public static partial class Hub
{
    /// <summary>
    /// Loads a TorchScript archive as a script module taking one <typeparamref name="T"/>: a local file, or an http(s) URL
    /// whose file name carries the start of its SHA-256 (checked; cached under <c>&lt;hub dir&gt;/checkpoints</c>). Blocks
    /// until done; see <see cref="HubClient.LoadScriptAsync{T, TResult}"/>.
    /// </summary>
    /// <typeparam name="T">The forward's argument type (<c>Tensor</c>).</typeparam>
    /// <typeparam name="TResult">What forward returns: <c>Tensor</c>, or a tuple of tensors.</typeparam>
    /// <param name="pathOrUrl">A local archive, or an http(s) URL whose file name has the hash part.</param>
    /// <exception cref="HubException">A URL without a hash part, a failed download or hash check, no such file, or not a TorchScript archive.</exception>
    public static torch.jit.ScriptModule<T, TResult> LoadScript<T, TResult>(string pathOrUrl)
        => Run(Default.LoadScriptAsync<T, TResult>(pathOrUrl));

    /// <summary>
    /// Like <see cref="LoadScript{T, TResult}"/> for a model taking any number of tensors. Blocks until done; see
    /// <see cref="HubClient.LoadScriptAsync{TResult}"/>.
    /// </summary>
    /// <typeparam name="TResult">What forward returns: <c>Tensor</c>, or a tuple of tensors.</typeparam>
    /// <param name="pathOrUrl">A local archive, or an http(s) URL whose file name has the hash part.</param>
    /// <exception cref="HubException">A URL without a hash part, a failed download or hash check, no such file, or not a TorchScript archive.</exception>
    public static torch.jit.ScriptModule<TResult> LoadScript<TResult>(string pathOrUrl)
        => Run(Default.LoadScriptAsync<TResult>(pathOrUrl));
}
