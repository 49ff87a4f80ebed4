using LlcLab.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// A small attention-only-plus-MLP transformer for token sequences (no LayerNorm, like the modular-addition
/// model of Nanda et al. 2023), equal to the PyTorch module
/// <code>
/// class Block(nn.Module):
///     def __init__(self, d, heads, mlp):
///         super().__init__()
///         self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
///         self.mlp = nn.Sequential(nn.Linear(d, mlp), nn.ReLU(), nn.Linear(mlp, d))
///     def forward(self, h):
///         h = h + self.attn(h, h, h, need_weights=False)[0]      # bidirectional attention, no mask
///         return h + self.mlp(h)
/// class Transformer(nn.Module):
///     def __init__(self, vocab, d, heads, layers, seq, mlp, out):
///         super().__init__()
///         self.pos_embed = nn.Parameter(torch.randn(seq, d) / d ** 0.5)
///         self.embed = nn.Embedding(vocab, d)
///         self.blocks = nn.ModuleList([Block(d, heads, mlp) for _ in range(layers)])
///         self.unembed = nn.Linear(d, out)
///     def forward(self, x):                                       # x: [B, seq] int64 token ids
///         h = self.embed(x) + self.pos_embed
///         for b in self.blocks: h = b(h)
///         return self.unembed(h[:, -1])                           # read out at the last position
/// </code>
/// so its state dict (<c>pos_embed</c>, <c>embed.weight</c>, <c>blocks.0.attn.in_proj_weight</c>,
/// <c>blocks.0.attn.in_proj_bias</c>, <c>blocks.0.attn.out_proj.weight</c>, …, <c>blocks.0.mlp.2.bias</c>,
/// <c>unembed.weight</c>, <c>unembed.bias</c>) loads here. Batched over chains with matmuls carrying the chain
/// dimension (<c>[C, B, T, d]</c> residual stream). Hidden layers <c>block1</c> … <c>block{layers}</c>: the residual
/// stream after that block; <see cref="Features"/> reads it at the last position (<c>[B, d]</c>, what the readout
/// sees), and a fixed affine map at a block acts token-wise at every position.
/// </summary>
public sealed class TransformerFunctional : ILayeredFunctional
{
    readonly long vocab, d, heads, layers, seq, mlp, outputs;

    public TransformerFunctional(long vocab, long d, long heads, long layers, long seq, long mlp, long outputs)
    {
        (this.vocab, this.d, this.heads, this.layers, this.seq, this.mlp, this.outputs) = (vocab, d, heads, layers, seq, mlp, outputs);
        var ps = new List<ParameterInfo>
        {
            new("pos_embed", [seq, d]),
            new("embed.weight", [vocab, d]),
        };
        for (int l = 0; l < layers; l++)
        {
            ps.Add(new($"blocks.{l}.attn.in_proj_weight", [3 * d, d]));
            ps.Add(new($"blocks.{l}.attn.in_proj_bias", [3 * d]));
            ps.Add(new($"blocks.{l}.attn.out_proj.weight", [d, d]));
            ps.Add(new($"blocks.{l}.attn.out_proj.bias", [d]));
            ps.Add(new($"blocks.{l}.mlp.0.weight", [mlp, d]));
            ps.Add(new($"blocks.{l}.mlp.0.bias", [mlp]));
            ps.Add(new($"blocks.{l}.mlp.2.weight", [d, mlp]));
            ps.Add(new($"blocks.{l}.mlp.2.bias", [d]));
        }
        ps.Add(new("unembed.weight", [outputs, d]));
        ps.Add(new("unembed.bias", [outputs]));
        Parameters = ps;
        LayerNames = Enumerable.Range(1, (int)layers).Select(i => $"block{i}").ToList();
    }

    public IReadOnlyList<ParameterInfo> Parameters { get; }
    public IReadOnlyList<string> LayerNames { get; }
    public int Depth => (int)layers + 1;

    public Tensor Forward(IReadOnlyList<Tensor> p, Tensor x) => ForwardRange(p, x, 0, Depth);

    // [C, B, T, in] · W[C, out, in]ᵀ + b[C, out] → [C, B, T, out].
    static Tensor Linear(Tensor h, Tensor w, Tensor b) => ChainAffine.Apply(h, w, b);

    public bool AcceptsSingleChain => true;

    public Tensor ForwardRange(IReadOnlyList<Tensor> p, Tensor state, int from, int to)
    {
        if (p[1].dim() == 2) return SingleChainRange(p, state, from, to);
        var h = state;
        if (from == 0)
        {
            if (h.dim() != 2 || h.shape[1] != seq)
                throw new ArgumentException($"The transformer takes token ids [B, {seq}], got [{string.Join(",", h.shape)}].");
            if (h.is_floating_point()) h = h.to(ScalarType.Int64);
            var pos = p[0]; var emb = p[1];
            long chains = emb.shape[0], batch = h.shape[0];
            h = emb.index_select(1, h.flatten()).reshape(chains, batch, seq, d) + pos.unsqueeze(1);
        }
        long dh = d / heads;
        for (int l = from + 1; l <= Math.Min(to, (int)layers); l++)
        {
            int o = 2 + (l - 1) * 8;
            long chains = h.shape[0], batch = h.shape[1];
            var qkv = Linear(h, p[o], p[o + 1]);                                    // [C, B, T, 3d]
            var split = qkv.reshape(chains, batch, seq, 3, heads, dh).permute(3, 0, 1, 4, 2, 5); // [3, C, B, H, T, dh]
            // softmax(QKᵀ/√dh)·V by libtorch's fused kernel (one node instead of five), over [C·B, H, T, dh].
            Tensor Heads(Tensor t) => t.reshape(chains * batch, heads, seq, dh);
            var z = nn.functional.scaled_dot_product_attention(Heads(split[0]), Heads(split[1]), Heads(split[2]))
                .view(chains, batch, heads, seq, dh).transpose(2, 3).reshape(chains, batch, seq, d);
            h = h + Linear(z, p[o + 2], p[o + 3]);
            h = h + Linear(nn.functional.relu(Linear(h, p[o + 4], p[o + 5])), p[o + 6], p[o + 7]);
        }
        if (to == Depth)
        {
            var last = h.select(2, seq - 1);                                        // [C, B, d]
            h = ChainAffine.Apply(last, p[^2], p[^1]);
        }
        return h;
    }

    /// <summary><see cref="ForwardRange"/> for one parameter set without chain dimension: residual stream <c>[B, T, d]</c>,
    /// token-wise affine maps by <c>F.linear</c> (the module's fused addmm), output <c>[B, outputs]</c>.</summary>
    Tensor SingleChainRange(IReadOnlyList<Tensor> p, Tensor state, int from, int to)
    {
        var h = state;
        if (from == 0)
        {
            if (h.dim() != 2 || h.shape[1] != seq)
                throw new ArgumentException($"The transformer takes token ids [B, {seq}], got [{string.Join(",", h.shape)}].");
            if (h.is_floating_point()) h = h.to(ScalarType.Int64);
            h = p[1].index_select(0, h.flatten()).view(h.shape[0], seq, d) + p[0];
        }
        long dh = d / heads;
        for (int l = from + 1; l <= Math.Min(to, (int)layers); l++)
        {
            int o = 2 + (l - 1) * 8;
            long batch = h.shape[0];
            var split = nn.functional.linear(h, p[o], p[o + 1]).view(batch, seq, 3, heads, dh).permute(2, 0, 3, 1, 4); // [3, B, H, T, dh]
            var z = nn.functional.scaled_dot_product_attention(split[0], split[1], split[2]).transpose(1, 2).reshape(batch, seq, d);
            h = h + nn.functional.linear(z, p[o + 2], p[o + 3]);
            h = h + nn.functional.linear(nn.functional.relu(nn.functional.linear(h, p[o + 4], p[o + 5])), p[o + 6], p[o + 7]);
        }
        return to == Depth ? nn.functional.linear(h.select(1, seq - 1), p[^2], p[^1]) : h;
    }

    public Tensor Features(Tensor state, int layer) => state.select(2, seq - 1);
    public Tensor MapFeatures(Tensor state, int layer, Func<Tensor, Tensor> f) => f(state);

    internal static (nn.Module<Tensor, Tensor>, ILayeredFunctional) Build(ModelSpec s)
    {
        var t = s.Settings;
        var module = new TransformerModule(t["vocab"], t["d"], t["heads"], t["layers"], t["seq"], t["mlp"], t["out"]);
        return (module, new TransformerFunctional(t["vocab"], t["d"], t["heads"], t["layers"], t["seq"], t["mlp"], t["out"]));
    }
}

/// <summary>One transformer block as a TorchSharp module (uses TorchSharp's own <c>MultiheadAttention</c>).</summary>
internal sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    readonly MultiheadAttention attn;
    readonly Sequential mlp;

    public TransformerBlock(long d, long heads, long mlpWidth) : base("Block")
    {
        attn = nn.MultiheadAttention(d, heads);
        mlp = nn.Sequential(("0", nn.Linear(d, mlpWidth)), ("1", nn.ReLU()), ("2", nn.Linear(mlpWidth, d)));
        register_module("attn", attn);
        register_module("mlp", mlp);
    }

    public override Tensor forward(Tensor h) // [B, T, d]
    {
        var tbd = h.transpose(0, 1);          // TorchSharp's attention takes [T, B, d]
        var (a, _) = attn.call(tbd, tbd, tbd, null, false, null);
        h = h + a.transpose(0, 1);
        return h + mlp.call(h);
    }
}

/// <summary>The module form of <see cref="TransformerFunctional"/> (PyTorch-compatible names).</summary>
internal sealed class TransformerModule : nn.Module<Tensor, Tensor>, ILayeredModule
{
    readonly Parameter posEmbed;
    readonly Embedding embed;
    readonly List<TransformerBlock> blocks = [];
    readonly Linear unembed;
    readonly Dictionary<int, List<nn.Module<Tensor, Tensor>>> inserts = [];
    readonly long seq;

    public TransformerModule(long vocab, long d, long heads, long layers, long seq, long mlp, long outputs) : base("Transformer")
    {
        this.seq = seq;
        posEmbed = new Parameter(zeros(seq, d));
        register_parameter("pos_embed", posEmbed);
        embed = nn.Embedding(vocab, d);
        register_module("embed", embed);
        var list = new ModuleList<TransformerBlock>();
        for (int l = 0; l < layers; l++) { var b = new TransformerBlock(d, heads, mlp); blocks.Add(b); list.Add(b); }
        register_module("blocks", list);
        unembed = nn.Linear(d, outputs);
        register_module("unembed", unembed);
    }

    TransformerModule(TransformerModule src, int layer, string name, nn.Module<Tensor, Tensor> insert) : base("Transformer")
    {
        seq = src.seq; posEmbed = src.posEmbed; embed = src.embed; blocks = src.blocks; unembed = src.unembed;
        register_parameter("pos_embed", posEmbed);
        register_module("embed", embed);
        var list = new ModuleList<TransformerBlock>();
        foreach (var b in blocks) list.Add(b);
        register_module("blocks", list);
        register_module("unembed", unembed);
        foreach (var (l, ms) in src.inserts) inserts[l] = [.. ms];
        foreach (var (n, m) in src.named_children().Where(c => c.name.StartsWith("fixed_")))
            register_module(n, m);
        if (!inserts.TryGetValue(layer, out var at)) inserts[layer] = at = [];
        at.Add(insert);
        register_module(name, insert);
    }

    public nn.Module<Tensor, Tensor> WithInsert(int layer, string name, nn.Module<Tensor, Tensor> insert) => new TransformerModule(this, layer, name, insert);

    public override Tensor forward(Tensor x) => ForwardRange(x, 0, blocks.Count + 1);

    public Tensor ForwardRange(Tensor state, int from, int to)
    {
        var h = state;
        if (from == 0) h = embed.call(h.to(ScalarType.Int64)) + posEmbed;
        for (int l = from + 1; l <= Math.Min(to, blocks.Count); l++)
        {
            h = blocks[l - 1].call(h);
            if (inserts.TryGetValue(l, out var ms)) foreach (var m in ms) h = m.call(h);
        }
        if (to == blocks.Count + 1) h = unembed.call(h.select(1, seq - 1));
        return h;
    }
}
