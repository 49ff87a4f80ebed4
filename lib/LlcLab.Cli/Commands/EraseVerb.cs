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
/// features (same dtype as X); <c>--eraser e.json</c> applies a saved one instead. X is memory-mapped and streamed in chunks
/// (<see cref="StreamingErasure"/>), so it may be larger than memory; the method names and defaults are
/// <see cref="EraserRegistry"/>'s.
/// </summary>
public sealed class EraseVerb : IVerb
{
    public int Order => 30;

    public Command Build()
    {
        var method = new Option<string?>("--method") { Description = string.Join(" | ", EraserRegistry.Names) + " | oracle (default leace; with --eraser, the saved eraser's method)." };
        var data = new DataOptions(readsModel: false);
        var subset = new Option<string>("--subset") { Description = "Built-in --data only: rows to erase — train (the split llclab train trains on), test or all.", DefaultValueFactory = _ => "train" };
        var conceptOpt = new Option<string?>("--concept") { Description = "The concept: a name of the built-in --data (e.g. parity), or Z.npy (int labels [n] or float columns [n] / [n, k]). Needed to fit, and for oracle." };
        var outOpt = new Option<string>("--out") { Description = "Output .npy for the erased features (dtype of --data).", Required = true };
        var save = new Option<string?>("--save-eraser") { Description = "Save the fitted eraser (.json or .safetensors)." };
        var load = new Option<string?>("--eraser") { Description = "Apply a saved eraser instead of fitting one." };
        var strength = new Option<double>("--strength") { Description = "Erasure strength t in [0, 1]: x − t·(x − r(x)).", DefaultValueFactory = _ => 1.0 };
        var shrink = new Option<string>("--shrinkage") { Description = "Σ_XX estimator for leace: none | oas | optimal.", DefaultValueFactory = _ => "none" };
        var rank = new Option<int>("--rank") { Description = "Dimensions removed by rlace (default: classes − 1)." };
        var iters = new Option<int>("--iterations") { Description = "Maximum rounds (inlp; default 20) or alternating steps (rlace; default 75000, with early stop at chance).", DefaultValueFactory = _ => 0 };
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
            if (r.GetResult(rank) is not null) Check.AtLeast("--rank", r.GetValue(rank), 1);
            Check.AtLeast("--iterations", r.GetValue(iters), 0);
            try
            {
                double t = r.GetValue(strength);
                if (!(t >= 0 && t <= 1)) throw new ArgumentException($"--strength must be in [0, 1] but is {t}.");
                string m = Check.OneOf("--method", r.GetValue(method) ?? "leace", [.. EraserRegistry.Names, "sal", "oracle"]);
                var shrinkage = ParseShrinkage(r.GetValue(shrink)!);
                var savePath = r.GetValue(save);
                using var input = EraseInputs.Read(r, data, subset, conceptOpt);
                var x = input.X;
                using var z = input.Z?.to(device);
                string summary;
                // ‖Cov(x, z)‖ before erasure is ‖Σ_XZ‖ of the streamed statistics; after an affine eraser it is ‖P_t·Σ_XZ‖, exact on
                // those statistics (measured on the written rows only for the oracle eraser, which is not affine).
                double before = double.NaN, after = double.NaN;
                string afterHow = "P·Σ_XZ";
                if (r.GetValue(load) is { } loadPath)
                {
                    var stored = EraserFile.ReadMethod(loadPath);
                    if (r.GetValue(method) is { } asked && !asked.Trim().Equals(stored, StringComparison.OrdinalIgnoreCase))
                        throw new ArgumentException($"--method {asked} contradicts --eraser {loadPath}, which holds a {stored} eraser; drop --method (the saved eraser's method is used) or fit a new one without --eraser.");
                    if (stored == "oracle")
                    {
                        using var oracle = EraserFile.LoadOracle(loadPath);
                        if (z is null) throw new ArgumentException("An oracle eraser needs the concept at inference: pass --concept.");
                        after = StreamingErasure.Apply(x, outPath, (rows, start) => oracle.Apply(rows, z.narrow(0, start, rows.shape[0]), t), z);
                        afterHow = "measured";
                    }
                    else
                    {
                        using var e = EraserFile.Load(loadPath);
                        StreamingErasure.Apply(e, x, outPath, t);
                        if (z is not null)
                        {
                            using var f = StreamingErasure.Fit(x, z, LeaceOptions.Orthogonal, device: device);
                            using var sxz = f.SigmaXZ;
                            before = sxz.norm().item<double>();
                            after = StreamingErasure.CrossCovarianceNormAfter(e, sxz, t);
                        }
                    }
                    summary = $"applied saved {stored} eraser from {loadPath}";
                }
                else
                {
                    if (z is null) throw new ArgumentException("Fitting an eraser needs the concept: pass --concept NAME or --concept Z.npy (or --eraser to apply a saved one).");
                    if (m == "oracle")
                    {
                        using var xs = x.ReadRows(0, x.Rows);
                        using var oracle = OracleEraser.Fit(xs.to(device), z);
                        after = StreamingErasure.Apply(x, outPath, (rows, start) => oracle.Apply(rows, z.narrow(0, start, rows.shape[0]), t), z);
                        afterHow = "measured";
                        if (savePath is not null) EraserFile.Save(savePath, oracle);
                        summary = "oracle LEACE";
                    }
                    else
                    {
                        var settings = new EraserSettings(r.GetValue(seed), shrinkage,
                            r.GetResult(rank) is null ? null : r.GetValue(rank), r.GetValue(iters) > 0 ? r.GetValue(iters) : null);
                        AffineEraser e;
                        // The orthogonal fitter streams Σ_XZ for the report when the method does not provide it.
                        using var fitter = StreamingErasure.Fit(x, z, EraserRegistry.Streams(m) ? EraserRegistry.LeaceOptionsFor(m, settings) : LeaceOptions.Orthogonal, device: device);
                        using var sxz = fitter.SigmaXZ;
                        before = sxz.norm().item<double>();
                        if (EraserRegistry.Streams(m)) e = fitter.FitEraser();
                        else
                        {
                            using var xs = x.ReadRows(0, x.Rows);
                            using var xd = xs.to(device);
                            e = EraserRegistry.Fit(m, xd, z, settings);
                        }
                        using (e)
                        {
                            StreamingErasure.Apply(e, x, outPath, t);
                            after = StreamingErasure.CrossCovarianceNormAfter(e, sxz, t);
                            if (savePath is not null) EraserFile.Save(savePath, e);
                            summary = $"{e.Method}, rank {e.Rank}";
                        }
                    }
                }
                var line = $"erased: {summary}; n = {x.Rows}, d = {x.Shape[1]}, strength {t.ToString(CultureInfo.InvariantCulture)}, dtype {x.DType}";
                if (z is not null)
                {
                    if (double.IsNaN(before)) before = CrossCovNorm(x, z);
                    line += $"; ‖Cov(x, z)‖ {before:E3} → {after:E3} ({afterHow})";
                }
                Console.WriteLine(line);
                Console.WriteLine($"wrote {outPath}" + (savePath is not null ? $" and {savePath}" : ""));
                return 0;
            }
            catch (ArgumentException e) when (EraseInputs.NonFiniteFeatures(e))
            {
                throw new ArgumentException($"--data {r.GetValue(data.Data)}: the features hold NaN/∞ values. Remove or impute those rows; erasers are fitted and applied on finite features only.", e);
            }
        });
    }

    static Shrinkage ParseShrinkage(string shrinkage) => shrinkage.Trim().ToLowerInvariant() switch
    {
        "none" => Shrinkage.None,
        "oas" => Shrinkage.Oas,
        "optimal" or "optimallinear" => Shrinkage.OptimalLinear,
        var s => throw new ArgumentException($"Unknown --shrinkage '{s}'. Use none, oas or optimal."),
    };

    /// <summary>‖Cov(x, z)‖_F of the input, streamed (the orthogonal fitter tracks only μ and Σ_XZ).</summary>
    static double CrossCovNorm(NpyReader x, Tensor z)
    {
        using var f = StreamingErasure.Fit(x, z, LeaceOptions.Orthogonal);
        using var s = f.SigmaXZ;
        return s.norm().item<double>();
    }
}
