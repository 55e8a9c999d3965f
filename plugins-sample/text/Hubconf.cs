// Written by `hubhost import` from hubconf.import.json; rewritten by every import into this folder, so do not edit it:
// add entrypoints of your own in another file, as more of the partial class Hubconf.
using HubHost.Contract;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>The repo's entrypoints: PyTorch models imported from a Python torch.hub repo as TorchScript archives.</summary>
public static partial class Hubconf
{
    /// <summary>A BERT-style text encoder: token ids (int64, [batch, tokens], from the repo's WordPiece tokenizer) in, the last hidden state [batch, tokens, 64] and the pooled sentence embedding [batch, 64] out.</summary>
    /// <remarks>
    /// <para>
    /// Two TransformerEncoder layers of width 64 with 4 heads over a 1116-token WordPiece vocabulary (vocab.txt);
    /// id 0 ([PAD]) is padding and is masked out. Random-initialised: a demonstration of the architecture, not a
    /// trained model.
    /// </para>
    /// <para>Imported by hubhost import from ./tests/fixtures/python-hubs/text at commit da5adc1eaf410e712263ffd22cb1779cb470ecae: torch.hub.load(repo, 'bert_tiny', source='local') with torch 1.13.0a0 (Python 3.11.2), scripted with torch.jit.script. Example input [1, 10] int64. HubHost reproduced PyTorch's output on it within a relative difference of 2.97E-07 (184,000 parameters; archive bert_tiny.pt, SHA-256 b773758e194bcfdb…).</para>
    /// </remarks>
    /// <returns>A TorchScript module in eval mode taking [1, 10] int64 (for the example input), returning a dictionary of last_hidden_state [1, 10, 64] float32, pooler_output [1, 64] float32 (in this order; the archive returns the values as a list, NamedOutputs gives them their names back).</returns>
    public static NamedOutputs bert_tiny()
        => new("bert_tiny", HubServices.For(typeof(Hubconf)).LoadScript<Tensor, Tensor[]>("bert_tiny.pt"), ["last_hidden_state", "pooler_output"]);
}
