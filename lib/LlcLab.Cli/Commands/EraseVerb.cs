using System.CommandLine;
using System.Globalization;
using LlcLab.Cli.Options;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab erase --method leace --data X.npy --concept Z.npy --out X2.npy [--save-eraser e.json|e.safetensors]</c>, or
/// <c>--data digits --concept parity</c> (the train split, as in every verb): fits a concept eraser and writes the erased
/// features (same dtype as X); <c>--eraser e.json</c> applies a saved one instead.
/// </summary>
public sealed class EraseVerb : IVerb
{
    public int Order => 30;

    public Command Build()
    {
        var method = new Option<string?>("--method") { Description = "leace | orth | meandiff | oracle | inlp | rlace (default leace; with --eraser, the saved eraser's method)." };
        var data = new DataOptions(readsModel: false);
        var subset = new Option<string>("--subset") { Description = "Built-in --data only: rows to erase — train (the split llclab train trains on), test or all.", DefaultValueFactory = _ => "train" };
        var conceptOpt = new Option<string?>("--concept") { Description = "The concept: a name of the built-in --data (e.g. parity), or Z.npy (int labels [n] or float columns [n] / [n, k]). Needed to fit, and for oracle." };
        var outOpt = new Option<string>("--out") { Description = "Output .npy for the erased features (dtype of --data).", Required = true };
        var save = new Option<string?>("--save-eraser") { Description = "Save the fitted eraser (.json or .safetensors)." };
        var load = new Option<string?>("--eraser") { Description = "Apply a saved eraser instead of fitting one." };
        var strength = new Option<double>("--strength") { Description = "Erasure strength t in [0, 1]: x − t·(x − r(x)).", DefaultValueFactory = _ => 1.0 };
        var shrink = new Option<string>("--shrinkage") { Description = "Σ_XX estimator for leace: none | oas | optimal.", DefaultValueFactory = _ => "none" };
        var rank = new Option<int>("--rank") { Description = "Dimensions removed by rlace.", DefaultValueFactory = _ => 1 };
        var iters = new Option<int>("--iterations") { Description = "Maximum rounds (inlp) or alternating steps (rlace; default 75000, with early stop at chance).", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed (probe splits for inlp, initialisation for rlace).", DefaultValueFactory = _ => 0 };

        var cmd = new Command("erase", "Fit a linear concept eraser (LEACE and peers) and erase the concept from features (--data X.npy or a built-in data set).");
        data.AddTo(cmd);
        foreach (var o in new Option[] { subset, conceptOpt, method, outOpt, save, load, strength, shrink, rank, iters, seed }) cmd.Options.Add(o);
        return cmd.WithAction(r =>
        {
            var device = Devices.Default;
            // Outputs and flags first, then the inputs (EraseInputs names the flag of any bad one).
            var outPath = OutputPath.File("--out", r.GetValue(outOpt)!);
            if (r.GetValue(save) is { } sp) OutputPath.File("--save-eraser", sp);
            if (r.GetValue(load) is { } lp && !File.Exists(lp)) throw new ArgumentException($"--eraser {lp}: no such file ('{Path.GetFullPath(lp)}').");
            if (r.GetValue(load) is not null && r.GetValue(save) is not null) throw new ArgumentException("--save-eraser saves a fitted eraser; with --eraser nothing is fitted. Drop one of them.");
            Check.AtLeast("--rank", r.GetValue(rank), 1);
            Check.AtLeast("--iterations", r.GetValue(iters), 0);
            var (xIn, zIn) = EraseInputs.Read(r, data, subset, conceptOpt);
            using var x = xIn.to(device);
            using var z = zIn?.to(device);
            double t = r.GetValue(strength);
            if (!(t >= 0 && t <= 1)) throw new ArgumentException($"--strength must be in [0, 1] but is {t}.");
            string m = Check.OneOf("--method", r.GetValue(method) ?? "leace", "leace", "orth", "sal", "meandiff", "oracle", "inlp", "rlace");
            var savePath = r.GetValue(save);
            Tensor erased;
            string summary;
            if (r.GetValue(load) is { } loadPath)
            {
                var stored = EraserFile.ReadMethod(loadPath);
                if (r.GetValue(method) is { } asked && !asked.Trim().Equals(stored, StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException($"--method {asked} contradicts --eraser {loadPath}, which holds a {stored} eraser; drop --method (the saved eraser's method is used) or fit a new one without --eraser.");
                if (stored == "oracle")
                {
                    using var oracle = EraserFile.LoadOracle(loadPath);
                    if (z is null) throw new ArgumentException("An oracle eraser needs the concept at inference: pass --concept.");
                    erased = oracle.Apply(x, z, t);
                }
                else
                {
                    using var e = EraserFile.Load(loadPath);
                    erased = e.Apply(x, t);
                }
                summary = $"applied saved {stored} eraser from {loadPath}";
            }
            else
            {
                if (z is null) throw new ArgumentException("Fitting an eraser needs the concept: pass --concept NAME or --concept Z.npy (or --eraser to apply a saved one).");
                if (m == "oracle")
                {
                    using var oracle = OracleEraser.Fit(x, z);
                    erased = oracle.Apply(x, z, t);
                    if (savePath is not null) EraserFile.Save(savePath, oracle);
                    summary = "oracle LEACE";
                }
                else
                {
                    using var e = Fit(m, x, z, r.GetValue(shrink)!, r.GetValue(rank), r.GetValue(iters), r.GetValue(seed));
                    erased = e.Apply(x, t);
                    if (savePath is not null) EraserFile.Save(savePath, e);
                    summary = $"{e.Method}, rank {e.Rank}";
                }
            }
            using (erased)
            {
                using var cpu = erased.cpu();
                Npy.Write(outPath, cpu);
                var line = $"erased: {summary}; n = {x.shape[0]}, d = {x.shape[1]}, strength {t.ToString(CultureInfo.InvariantCulture)}, dtype {erased.dtype}";
                if (z is not null)
                {
                    double before = CrossCovNorm(x, z), after = CrossCovNorm(erased, z);
                    line += $"; ‖Cov(x, z)‖ {before:E3} → {after:E3}";
                }
                Console.WriteLine(line);
                Console.WriteLine($"wrote {outPath}" + (savePath is not null ? $" and {savePath}" : ""));
            }
            return 0;
        });
    }

    static AffineEraser Fit(string method, Tensor x, Tensor z, string shrinkage, int rank, int iterations, long seed)
    {
        var shr = shrinkage.Trim().ToLowerInvariant() switch
        {
            "none" => Shrinkage.None,
            "oas" => Shrinkage.Oas,
            "optimal" or "optimallinear" => Shrinkage.OptimalLinear,
            var s => throw new ArgumentException($"Unknown --shrinkage '{s}'. Use none, oas or optimal."),
        };
        return method switch
        {
            "leace" => Leace.Fit(x, z, new LeaceOptions(Shrinkage: shr)),
            "orth" or "sal" => Leace.FitOrthogonal(x, z),
            "meandiff" => MeanDifference.Fit(x, z),
            "inlp" => Inlp.Fit(x, z, new InlpOptions(MaxIterations: iterations > 0 ? iterations : 20, Probe: ProbeOptions.Default with { Seed = seed })).Eraser,
            "rlace" => Rlace.Fit(x, z, iterations > 0 ? new RlaceOptions(Rank: rank, Iterations: iterations, Seed: seed) : new RlaceOptions(Rank: rank, Seed: seed)).Eraser,
            _ => throw new ArgumentException($"Unknown --method '{method}'. Use leace, orth, meandiff, oracle, inlp or rlace."),
        };
    }

    static double CrossCovNorm(Tensor x, Tensor z)
    {
        using var scope = NewDisposeScope();
        var cols = ConceptLabels.ColumnCount(z);
        var zz = ConceptLabels.Encode(z, cols, x.device);
        var x64 = x.to_type(ScalarType.Float64);
        var xc = x64 - x64.mean([0L]); var zc = zz - zz.mean([0L]);
        return (xc.t().matmul(zc) / (x.shape[0] - 1)).norm().item<double>();
    }
}
