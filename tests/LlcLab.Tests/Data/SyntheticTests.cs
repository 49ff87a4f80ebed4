using LlcLab.Data;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Data;

public class SyntheticTests
{
    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(2, 0.8)]
    [InlineData(4, 0.5)]
    public void Concept_is_linear_along_the_returned_directions_with_the_stated_correlation(int k, double corr)
    {
        var s = SyntheticConcept.Generate(n: 6000, d: 12, conceptClasses: k, strength: 3.0, correlation: corr, seed: 11);
        var d = s.Data;
        Assert.Equal(new long[] { 6000, 12 }, d.X.shape);
        var z = d.Concept("concept");
        double agree = z.eq(d.Y.remainder(k)).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(agree, corr + (1 - corr) / k - 0.03, corr + (1 - corr) / k + 0.03);

        int r = k == 2 ? 1 : k - 1;
        Assert.Equal(new long[] { r, 12 }, s.ConceptDirections.shape);
        Assert.True(allclose(s.ConceptDirections.matmul(s.ConceptDirections.T), eye(r), atol: 1e-5));
        Assert.True(s.ConceptDirections.matmul(s.TaskDirections.T).abs().max().item<float>() < 1e-5);

        // Class-conditional means of x minus the task part equal the stated concept means (±3 se).
        var resid = d.X - s.TaskDirections.index_select(0, d.Y) * 2.0f;
        for (long c = 0; c < k; c++)
        {
            var m = resid[z.eq(c)].mean([0]);
            Assert.True((m - s.ConceptMeans[c]).abs().max().item<float>() < 0.15f, $"class {c}");
        }
        // Outside the concept and task subspaces there is only unit-variance noise.
        var basis = cat([s.ConceptDirections, s.TaskDirections]);
        var q = linalg.qr(basis.T).Q; // [d, r+K]
        var orth = resid - resid.matmul(q).matmul(q.T);
        Assert.True(orth.mean([0]).abs().max().item<float>() < 0.08f);
    }

    [Fact]
    public void Same_seed_same_data_and_bad_arguments_are_errors()
    {
        var a = SyntheticConcept.Generate(n: 100, seed: 5);
        var b = SyntheticConcept.Generate(n: 100, seed: 5);
        Assert.True(a.Data.X.equal(b.Data.X).all().item<bool>());
        Assert.False(a.Data.X.equal(SyntheticConcept.Generate(n: 100, seed: 6).Data.X).all().item<bool>());
        Assert.Throws<ArgumentException>(() => SyntheticConcept.Generate(d: 3, conceptClasses: 4));
        Assert.Throws<ArgumentException>(() => SyntheticConcept.Generate(correlation: 1.5));
    }

    [Fact]
    public void Modular_addition_enumerates_every_pair()
    {
        var d = Sequences.ModularAddition(7);
        Assert.Equal(new long[] { 49, 3 }, d.X.shape);
        Assert.Equal(ScalarType.Int64, d.X.dtype);
        var x = d.X.data<long>().ToArray();
        var y = d.Y.data<long>().ToArray();
        for (int i = 0; i < 49; i++)
        {
            Assert.Equal(i / 7, x[3 * i]);
            Assert.Equal(i % 7, x[3 * i + 1]);
            Assert.Equal(7, x[3 * i + 2]);
            Assert.Equal((i / 7 + i % 7) % 7, y[i]);
        }
        Assert.Equal(7, d.NumClasses);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.9)]
    public void Planted_token_marker_matches_concept_and_stated_correlation(double corr)
    {
        var d = Sequences.PlantedToken(n: 4000, seqLen: 8, vocab: 12, correlation: corr, seed: 2);
        var m = d.Concept("marker");
        Assert.True(d.X.eq(11).any(1).to(ScalarType.Int64).equal(m).all().item<bool>());   // marker present ⇔ concept
        Assert.True(d.X.eq(10).any(1).logical_xor(m.to(ScalarType.Bool)).all().item<bool>()); // otherwise the pad
        Assert.True((d.X.eq(11) | d.X.eq(10)).sum(1).eq(1).all().item<bool>());               // exactly one slot
        var lower = d.X.lt(5).sum(1);                                                           // slot tokens are ≥ 10
        Assert.True(lower.gt(3.5).to(ScalarType.Int64).equal(d.Y).all().item<bool>());         // majority of 7 content tokens
        double agree = m.eq(d.Y).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(agree, corr + (1 - corr) / 2 - 0.03, corr + (1 - corr) / 2 + 0.03);
    }
}
