using System.Collections;
using System.Reflection;
using static TorchSharp.torch;

namespace HubHost.Cli.Inputs;

/// <summary>
/// <c>run --text "…"</c>: the text as token ids, tokenized by the repo's own <c>tokenizer</c> entrypoint.
/// </summary>
/// <remarks>
/// The tokenizer comes from the repo's load context (its own copy of Microsoft.ML.Tokenizers, or any library), so the
/// host cannot cast it to a host-side type. The convention, called by reflection: the <c>tokenizer</c> entrypoint returns
/// an object with a public instance method <c>EncodeToIds(string text, …)</c> whose other parameters all have defaults,
/// returning the ids as a sequence of <c>int</c> or <c>long</c> (special tokens such as [CLS] … [SEP] included, as the
/// model expects them). Microsoft.ML.Tokenizers' <c>Tokenizer</c> subclasses (BertTokenizer, TiktokenTokenizer, …)
/// have it; a repo's own class can too. docs/design.md says why this, rather than sharing Microsoft.ML.Tokenizers.
/// </remarks>
internal static class TextInput
{
    /// <summary>The entrypoint that makes the repo's tokenizer.</summary>
    public const string TokenizerEntrypoint = "tokenizer";

    public const string EncodeMethod = "EncodeToIds";

    /// <summary>The text's token ids as int64 [1, T], tokenized by the repo's <c>tokenizer</c> entrypoint.</summary>
    public static async Task<Tensor> ReadAsync(HubRepo repo, string text, CancellationToken cancellationToken)
    {
        if (!repo.Entrypoints.Any(e => e.Name == TokenizerEntrypoint))
            throw new HubException($"{repo.Name} has no {TokenizerEntrypoint} entrypoint, so --text cannot be tokenized. Give the token ids as --input IDS.npy (int64), " +
                                   $"or add an entrypoint {TokenizerEntrypoint}() returning a tokenizer with {EncodeMethod}(string) (e.g. Microsoft.ML.Tokenizers' BertTokenizer).");
        var tokenizer = await repo.InvokeAsync(TokenizerEntrypoint, null, cancellationToken);
        try
        {
            var ids = Encode(tokenizer, text, $"the {TokenizerEntrypoint} of {repo.Name}");
            if (ids.Length == 0) throw new HubException($"The {TokenizerEntrypoint} of {repo.Name} gave no tokens for the text; give some text to run the model on.");
            return tensor(ids, dtype: ScalarType.Int64).unsqueeze(0);
        }
        finally
        {
            (tokenizer as IDisposable)?.Dispose();
        }
    }

    /// <summary>Calls <c>EncodeToIds(text)</c> on a tokenizer of any load context (see the remarks of <see cref="TextInput"/>).</summary>
    internal static long[] Encode(object? tokenizer, string text, string what)
    {
        var method = tokenizer?.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name == EncodeMethod && m.GetParameters() is [{ ParameterType: var first }, ..] p && first == typeof(string) && p.Skip(1).All(q => q.HasDefaultValue)
                        && (typeof(IEnumerable<int>).IsAssignableFrom(m.ReturnType) || typeof(IEnumerable<long>).IsAssignableFrom(m.ReturnType)))
            .OrderBy(m => m.GetParameters().Length)
            .FirstOrDefault()
            ?? throw new HubException($"{what} returned {tokenizer?.GetType().FullName ?? "null"}, which has no public {EncodeMethod}(string) returning the token ids, " +
                                      $"so --text cannot be tokenized. Return a tokenizer with {EncodeMethod}(string text) (Microsoft.ML.Tokenizers' tokenizers have it), or give --input IDS.npy.");
        var arguments = method.GetParameters().Select((p, i) => i == 0 ? text : p.DefaultValue).ToArray();
        object? result;
        try
        {
            result = method.Invoke(tokenizer, BindingFlags.DoNotWrapExceptions, null, arguments, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new HubException($"{what} failed to tokenize the text: {e.Message}", e);
        }
        return result switch
        {
            IEnumerable<int> ints => ints.Select(i => (long)i).ToArray(),
            IEnumerable<long> longs => longs.ToArray(),
            IEnumerable other => other.Cast<object>().Select(Convert.ToInt64).ToArray(),
            _ => throw new HubException($"{what} returned no token ids from {EncodeMethod}."),
        };
    }
}
