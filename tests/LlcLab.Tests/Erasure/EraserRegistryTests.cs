using LlcLab.Erasure;
using LlcLab.Unlearning;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;

namespace LlcLab.Tests.Erasure;

/// <summary>The one eraser registry and the one unlearning-procedure registry (CLI and notebooks call the same ones).</summary>
public class EraserRegistryTests
{
    [Fact]
    public void Eraser_names_resolve_and_fit_like_the_direct_calls()
    {
        Assert.Equal(new[] { "leace", "orth", "meandiff", "inlp", "rlace" }, EraserRegistry.Names);
        Assert.Equal("orth", EraserRegistry.Resolve(" SAL "));
        Assert.True(EraserRegistry.Streams("leace") && EraserRegistry.Streams("orth") && !EraserRegistry.Streams("inlp"));
        var (x, y) = Gaussian(400, 6, 2, seed: 41);
        using var a = EraserRegistry.Fit("leace", x, y);
        using var b = Leace.Fit(x, y);
        Assert.Equal(0.0, MaxAbs(a.Matrix - b.Matrix));
        using var o = EraserRegistry.Fit("Orth", x, y);
        using var o2 = Leace.Fit(x, y, LeaceOptions.Orthogonal);
        Assert.Equal(0.0, MaxAbs(o.Matrix - o2.Matrix));
        Assert.Equal(Shrinkage.Oas, EraserRegistry.LeaceOptionsFor("leace", new EraserSettings(Shrinkage: Shrinkage.Oas)).Shrinkage);
        var e = Assert.Throws<ArgumentException>(() => EraserRegistry.Fit("nope", x, y));
        foreach (var n in EraserRegistry.Names) Assert.Contains(n, e.Message);
        Assert.Equal(1, EraserRegistry.RlaceSettings(y, seed: 0).Rank);
        Assert.Equal(20, EraserRegistry.InlpSettings(0).MaxIterations);
    }

    [Fact]
    public void Procedure_names_create_their_procedures_with_the_record_defaults()
    {
        foreach (var n in ProcedureRegistry.Names) Assert.Equal(n, ProcedureRegistry.Create(n).Name);
        Assert.Equal(new GradDiff().Alpha, ((GradDiff)ProcedureRegistry.Create("graddiff")).Alpha);
        Assert.Equal(0.5, ((GradDiff)ProcedureRegistry.Create("GradDiff", settings: new(Alpha: 0.5))).Alpha);
        Assert.Equal(new Scrub().Alpha, ((Scrub)ProcedureRegistry.Create("scrub")).Alpha);
        Assert.Equal(new SalUn().MaskFraction, ((SalUn)ProcedureRegistry.Create("salun")).MaskFraction);
        var leace = (ConceptErasure)ProcedureRegistry.Create("leace", settings: new(Layer: "h2"));
        Assert.Equal(("h2", new ConceptErasure().Steps), (leace.Layer, leace.Steps));
        var u = new UnlearnOptions { Steps = 7, Lr = 0.5 };
        Assert.Equal(7, ((NegGrad)ProcedureRegistry.Create("neggrad", u)).Settings.Steps);
        var e = Assert.Throws<ArgumentException>(() => ProcedureRegistry.Create("forget-everything"));
        Assert.Contains("salun", e.Message);
    }
}
