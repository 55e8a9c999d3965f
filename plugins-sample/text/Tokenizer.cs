using HubHost.Contract;
using Microsoft.ML.Tokenizers;

// Written by hand (not by `hubhost import`, which rewrites Hubconf.cs only): the tokenizer of bert_tiny, as its own
// entrypoint, like the seeds' "auxiliary tools" (torch.hub's `tokenizer` entrypoints).
public static partial class Hubconf
{
    /// <summary>The WordPiece tokenizer bert_tiny was built for: text in, token ids out ([CLS] … [SEP]).</summary>
    /// <remarks>
    /// Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/> over the repo's vocab.txt (1116 tokens), tokenizing as BERT's
    /// uncased tokenizer does: lower-cased, accents stripped, split on whitespace and punctuation, CJK characters one by
    /// one, then greedy longest-match-first word pieces. <c>hubhost run ./plugins-sample/text bert_tiny --text "…"</c>
    /// calls its <c>EncodeToIds(text)</c> and runs bert_tiny on the ids.
    /// </remarks>
    /// <returns>A <see cref="BertTokenizer"/>; <c>EncodeToIds(text)</c> gives the ids, <c>Decode(ids)</c> the text back.</returns>
    public static BertTokenizer tokenizer()
        => BertTokenizer.Create(Path.Combine(HubServices.For(typeof(Hubconf)).RepoDirectory, "vocab.txt"),
            new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
}
