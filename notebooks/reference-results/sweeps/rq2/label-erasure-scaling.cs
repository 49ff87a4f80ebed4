#:project ../../../../lib/LlcLab/LlcLab.csproj
#:property PublishAot=false
// Why is the 10-class label not erased out of sample? Two candidate causes, separated here on the RQ2 model (mlp:784-128-10, seed 0,
// 60 epochs on its 10,000 training images), LEACE of the label at h1:
//  (1) estimation error of a sample-fitted rank-9 eraser. LEACE removes the span of the *estimated* class-mean differences (whitened).
//      Writing μ̂_k = μ_k + e_k with ‖e_k‖ ≈ √(d/n_k) (whitened units), the population class means keep −P⊥e_k after erasure: a residual of
//      norm ≈ √((d − 9)/n_k) per class that does not depend on how strong the concept is, and falls only as 1/√(fit rows).
//  (2) a shift between the rows the eraser is fitted on and the rows it is probed on (the model's own training rows against unseen ones).
// The check fits LEACE on n_fit ∈ {2.5k, 5k, 10k, 20k, 40k} training images the model never saw and probes (cross-fitted, the protocols'
// out-of-sample measure) on 10,000 other unseen training images: same distribution as the fit rows, so (2) is absent and any excess over
// chance is (1). It also estimates the residual class-mean norm on the probe rows without its own sampling noise (split-half inner
// product: E⟨r̄_A, r̄_B⟩ = ‖r‖² for independent halves A, B), to set beside the prediction √((d − 9)/n_k).
// Measured 2026-12-02 (seed 0, one core beside two sweep workers, ≈ 10 min per n_fit; PROVENANCE.md):
//   n_fit  rows/class  OOS probe, unseen train (chance 10.3 %)  on the test split (10.0 %)  ‖r‖ measured  predicted
//    2,500     250         33.3 %                                   33.3 %                     0.623        0.616
//    5,000     500         27.9 %                                   28.0 %                     0.449        0.436
//   10,000   1,000         22.9 %                                   25.1 %                     0.315        0.308
//   20,000   2,000         18.2 %                                   23.4 %                     0.225        0.218
//   40,000   4,000         14.6 %                                   19.3 %                     0.174        0.154
// (d = 104 live units of 128.) The residual is the eraser's estimation error as predicted, and the probe's excess falls with it; on the
// official test split a second part does not fall with n_fit (19.3 % at 40,000): a train/test shift the training rows cannot show.
// Run from the repository root: dotnet run notebooks/reference-results/sweeps/rq2/label-erasure-scaling.cs [n_fit ...]
using LlcLab.Tasks; using LlcLab.Erasure; using LlcLab.Analysis; using LlcLab.Runtime; using LlcLab.Data;
using static TorchSharp.torch;
TorchRuntime.Initialize();
var t = ConceptTask.Create(ConceptTask.Fashion, "mlp:784-128-10:relu", 0, false);
var (all, test) = FashionMnist.Load();
// The task's 10,000 training rows are the first rows of this permutation (ConceptTask.FashionSplits); the other 50,000 were never seen.
long[] perm;
using (var g = Seeding.Generator(Seeding.Derive(0, 0))) using (var p = randperm(all.X.shape[0], generator: g)) perm = p.data<long>().ToArray();
var unseen = perm.Skip(ConceptTask.FashionTrainRows).ToArray();
var dev = t.Train.X.device;
Tensor Acts(long[] rows) { using var idx = tensor(rows, ScalarType.Int64); return t.Model.Activations("h1", all.X.index_select(0, idx).to(dev)).detach(); }
Tensor Labels(long[] rows) { using var idx = tensor(rows, ScalarType.Int64); return all.Y.index_select(0, idx).to(dev); }
var probeRows = unseen.Take(10_000).ToArray();
var pool = unseen.Skip(10_000).ToArray(); // 40,000 fit candidates
using var probeX = Acts(probeRows); using var probeY = Labels(probeRows);
using var testX = t.Model.Activations("h1", t.Test.X).detach();
int d = (int)probeX.shape[1];

// ‖residual class mean‖ in the eraser's whitened coordinates, free of the probe rows' own sampling noise: mean over classes of
// ⟨r̄_A,k, r̄_B,k⟩ (r̄ = class mean − grand mean of erased, whitened rows; A, B stratified halves), whose expectation is ‖r_k‖².
double ResidualSq(Tensor erased, Tensor y, Tensor whiten)
{
    using var scope = NewDisposeScope();
    var w = erased.matmul(whiten);
    var (a, b) = HeldOutProbe.SplitRows(y, 0.5, 7);
    var ia = tensor(a, device: w.device); var ib = tensor(b, device: w.device);
    double sum = 0;
    for (long k = 0; k < 10; k++)
    {
        Tensor M(Tensor rows) { var ww = w.index_select(0, rows); var yy = y.index_select(0, rows); return ww[yy == k].mean([0]) - ww.mean([0]); }
        sum += (M(ia) * M(ib)).sum().item<float>();
    }
    return sum / 10;
}

Console.WriteLine($"model: {t}");
Console.WriteLine("n_fit | rows/class | OOS probe on 10k unseen train (chance) | on the 10k test | ‖r‖ measured (split-half) | ‖r‖ predicted √((d−9)/n_k)");
// Optional arguments: the n_fit values to run (default: all five).
var nFits = args.Length > 0 ? args.Select(int.Parse).ToArray() : new[] { 2_500, 5_000, 10_000, 20_000, 40_000 };
foreach (int nFit in nFits)
{
    using var scope = NewDisposeScope();
    var fitRows = pool.Take(nFit).ToArray();
    var fx = Acts(fitRows); var fy = Labels(fitRows);
    var er = Leace.Fit(fx, fy);
    var s = HeldOutProbe.OutOfSample(er.Apply(probeX), probeY, 0);
    var st = HeldOutProbe.OutOfSample(er.Apply(testX), t.Test.Y, 0);
    // Whitening of the fit rows (Σ^{-1/2} by eigendecomposition) to express the residual in the units of the prediction.
    var xc = fx - fx.mean([0]);
    var cov = xc.T.matmul(xc) / (nFit - 1);
    var (ev, evec) = linalg.eigh(cov);
    var keep = ev > ev.max() * 1e-6;
    var kept = keep.nonzero().squeeze(1);
    var inv = evec.index_select(1, kept) * ev.index_select(0, kept).rsqrt();
    double r2 = ResidualSq(er.Apply(probeX), probeY, inv);
    int rank = (int)keep.sum().item<long>();
    double pred = Math.Sqrt((rank - 9) / (nFit / 10.0));
    Console.WriteLine(FormattableString.Invariant(
        $"{nFit,6} | {nFit / 10,5} | {s.Accuracy:P1} ({s.Chance:P1}) | {st.Accuracy:P1} ({st.Chance:P1}) | {Math.Sqrt(Math.Max(r2, 0)):F3} (r² {r2:F4}) | {pred:F3} (rank {rank})"));
}
