using LlcLab.Sampling;
using Xunit;

namespace LlcLab.Tests.Sampling;

public class AoyagiFormulaTests
{
    [Theory]
    // Aoyagi & Watanabe (2005) two-layer cases, hand-computed from the four-case theorem:
    [InlineData(5, 3, 5, 0, 6.5)]   // case 1, M+H+N+r odd: (2·3·10 − 0 − 9 + 1)/8
    [InlineData(2, 1, 2, 0, 1.0)]   // case 1, odd
    [InlineData(5, 4, 5, 0, 8.0)]   // case 1, even: (2·4·10 − 0 − 16)/8
    [InlineData(4, 3, 8, 0, 6.0)]   // case 2: M+H < N+r → (HM − Hr + Nr)/2
    [InlineData(8, 3, 4, 0, 6.0)]   // case 3: N+H < M+r → (HN − Hr + Mr)/2
    [InlineData(3, 8, 4, 0, 6.0)]   // case 4: M+N < H+r → MN/2
    [InlineData(5, 3, 5, 2, 9.5)]   // case 1 with r = 2: M+H+N+r odd: (2·5·10 − 0 − 25 + 1)/8
    [InlineData(4, 3, 8, 1, 8.5)]   // case 2 with r = 1: (12 − 3 + 8)/2
    public void Reduced_rank_regression_known_values(int m, int h, int n, int r, double expected)
    {
        Assert.Equal(expected, AoyagiFormula.ReducedRank(m, h, n, r), 10);
        Assert.Equal(expected, AoyagiFormula.DeepLinear([m, h, n], r), 10);
    }

    [Fact]
    public void Deep_linear_formula_agrees_with_the_two_layer_theorem_everywhere()
    {
        int checkedCases = 0;
        for (int m = 1; m <= 7; m++)
            for (int h = 1; h <= 7; h++)
                for (int n = 1; n <= 7; n++)
                    for (int r = 0; r <= Math.Min(h, Math.Min(m, n)); r++)
                    {
                        Assert.Equal(AoyagiFormula.ReducedRank(m, h, n, r), AoyagiFormula.DeepLinear([m, h, n], r), 9);
                        checkedCases++;
                    }
        Assert.True(checkedCases > 500);
    }

    [Theory]
    [InlineData(4, 3)]
    [InlineData(1, 1)]
    [InlineData(6, 2)]
    public void A_single_full_rank_layer_is_regular(int m, int n) =>
        Assert.Equal(m * n / 2.0, AoyagiFormula.DeepLinear([m, n], Math.Min(m, n)), 10);

    [Fact]
    public void Three_layer_values_follow_the_theorem()
    {
        // M_j = H_j − r. 3-4-4-3, r = 1: M = [2,3,3,2]; Σ = all (ℓ = 3, S = 10, M̄ = 4, a = 1):
        // (−1 + 6)/2 + 1·2/12 − 3·2/4·(10/3)² + ½·(6+6+4+9+6+6) = 2.5 + 1/6 − 50/3 + 18.5 = 4.5
        Assert.Equal(4.5, AoyagiFormula.DeepLinear([3, 4, 4, 3], 1), 10);
        // Rank 0 of a bottlenecked net is the bottleneck's RRR with the outer widths: 6-4-3-5 r=2 → 10.
        Assert.Equal(10.0, AoyagiFormula.DeepLinear([6, 4, 3, 5], 2), 10);
        // A wide hidden stack never beats the regular count of the end-to-end map: λ ≤ d/2 and ≤ M·N/2 + …
        Assert.True(AoyagiFormula.DeepLinear([5, 4, 3, 4, 5], 0) <= 5 * 4 / 2.0 + 4 * 3 / 2.0);
    }

    [Fact]
    public void Impossible_ranks_are_clear_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => AoyagiFormula.DeepLinear([5, 2, 5], 3));
        Assert.Contains("smallest width", e.Message);
        Assert.Throws<ArgumentException>(() => AoyagiFormula.DeepLinear([5], 0));
    }
}
