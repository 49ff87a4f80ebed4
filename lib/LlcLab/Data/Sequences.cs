using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Data;

/// <summary>Token-sequence tasks for the transformer. X holds int64 token ids <c>[n, seq]</c>; Y int64 classes.</summary>
public static class Sequences
{
    /// <summary>
    /// Modular addition (Power et al. 2022, "grokking"): every pair (a, b) ∈ [0, p)², as the 3-token sequence
    /// <c>a b =</c> with "=" the token id p (vocabulary p + 1, sequence length 3); Y = (a + b) mod p (p classes).
    /// Concepts: <c>parity</c> = Y mod 2; <c>a_parity</c> = a mod 2; <c>ge_half</c> = 1 if Y ≥ p/2.
    /// Order: a major, b minor (row a·p + b). Use <see cref="Dataset.Split"/> for train/test.
    /// </summary>
    public static Dataset ModularAddition(int p = 23)
    {
        if (p < 2) throw new ArgumentException($"p must be at least 2, got {p}.");
        TorchRuntime.Initialize();
        var a = arange(p, dtype: ScalarType.Int64).repeat_interleave(p);
        var b = arange(p, dtype: ScalarType.Int64).repeat(p);
        var eq = full([p * p], p, dtype: ScalarType.Int64);
        var x = stack([a, b, eq], 1);
        var y = (a + b).remainder(p);
        return new Dataset(x, y, new Dictionary<string, Tensor>
        {
            ["parity"] = y.remainder(2),
            ["a_parity"] = a.remainder(2),
            ["ge_half"] = y.ge((p + 1) / 2).to(ScalarType.Int64),
        }, $"modadd-{p}");
    }

    /// <summary>
    /// Token sequences with a planted concept. Each sequence has <paramref name="seqLen"/> − 1 content tokens drawn
    /// uniformly from 0..vocab−3 plus one extra slot, inserted at a uniformly chosen position, that holds either the
    /// marker token (id vocab − 1) or a neutral pad token (id vocab − 2). The task label Y is 1 when more than half of
    /// the content tokens lie in the lower half [0, (vocab−2)/2) (majority task; the slot never changes it). The concept
    /// <c>marker</c> is 1 when the slot holds the marker; it equals Y with probability <paramref name="correlation"/>,
    /// else it is an independent fair coin, so P(marker = Y) = c + (1 − c)/2 exactly.
    /// All draws use a private generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static Dataset PlantedToken(int n = 2000, int seqLen = 8, int vocab = 12, double correlation = 0.0, long seed = 0)
    {
        if (vocab < 4) throw new ArgumentException($"vocab must be at least 4 (content tokens, pad and marker), got {vocab}.");
        if (seqLen < 2) throw new ArgumentException($"seqLen must be at least 2, got {seqLen}.");
        if (!(correlation >= 0 && correlation <= 1)) throw new ArgumentException($"correlation must be in [0, 1], got {correlation}.");
        TorchRuntime.Initialize();
        using var g = Seeding.Generator(seed);
        using var scope = NewDisposeScope();
        int marker = vocab - 1, pad = vocab - 2, half = (vocab - 2) / 2, content = seqLen - 1;
        var c = randint(vocab - 2, [n, content], generator: g, dtype: ScalarType.Int64);
        var y = c.lt(half).sum(1).gt(content / 2.0).to(ScalarType.Int64);
        var keep = rand([n], generator: g, dtype: ScalarType.Float64).lt(correlation);
        var coin = randint(2, [n], generator: g, dtype: ScalarType.Int64);
        var m = where(keep, y, coin);
        var pos = randint(seqLen, [n, 1], generator: g, dtype: ScalarType.Int64);
        // Insert the slot at pos: out[j] = c[j] for j < pos, slot for j = pos, c[j − 1] for j > pos.
        var j = arange(seqLen, dtype: ScalarType.Int64).unsqueeze(0).expand(n, seqLen);
        var src = (j - j.gt(pos).to(ScalarType.Int64)).clamp(0, content - 1);
        var slot = where(m.eq(1), full([n], marker, dtype: ScalarType.Int64), full([n], pad, dtype: ScalarType.Int64)).unsqueeze(1);
        var x = where(j.eq(pos), slot.expand(n, seqLen), c.gather(1, src));
        var data = new Dataset(x, y, new Dictionary<string, Tensor> { ["marker"] = m }, $"planted-token-v{vocab}-s{seqLen}");
        scope.MoveToOuter(data.X, data.Y, data.Concept("marker"));
        return data;
    }
}
