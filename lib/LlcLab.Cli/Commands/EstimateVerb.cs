using System.CommandLine;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab estimate --arch mlp:64-256-256-10:relu --weights model.safetensors --x X.npy --y Y.npy --out result.json</c>:
/// the LLC of a model (PyTorch <c>nn.Sequential</c> state dict in safetensors) on a data set given as .npy files; writes the
/// results record as JSON (atomically).
/// </summary>
public sealed class EstimateVerb : IVerb
{
    public int Order => 30;

    public Command Build()
    {
        var arch = new Option<string>("--arch") { Description = "Model spec: mlp:64-256-256-10:relu | dln:5-3-5 (dln = no bias).", Required = true };
        var weights = new Option<string>("--weights") { Description = "safetensors state dict with PyTorch nn.Sequential names (0.weight, 0.bias, 2.weight, …).", Required = true };
        var xOpt = new Option<string>("--x") { Description = "Inputs X.npy (float32, [n, features]).", Required = true };
        var yOpt = new Option<string>("--y") { Description = "Targets Y.npy: float32 [n, outputs] for --loss mse, int64 labels [n] for --loss ce.", Required = true };
        var loss = new Option<string?>("--loss") { Description = "mse (Gaussian NLL ½Σ(y−f)², float targets) or ce (cross-entropy, int64 labels). Default: from Y's dtype." };
        var lr = new Option<double?>("--lr") { Description = $"SGLD step size ε (default {SgldOptions.DefaultLrTimesNBeta}/nβ)." };
        var loc = new Option<double>("--localization") { Description = "Localization γ.", DefaultValueFactory = _ => new SgldOptions().Localization };
        var nbeta = new Option<double?>("--nbeta") { Description = "nβ (default n/ln n; devinterp defaults to the batch size)." };
        var chains = new Option<int>("--chains") { Description = "Number of chains.", DefaultValueFactory = _ => new SgldOptions().Chains };
        var draws = new Option<int>("--draws") { Description = "Draws per chain.", DefaultValueFactory = _ => new SgldOptions().Draws };
        var burnin = new Option<int>("--burnin") { Description = "Burn-in steps.", DefaultValueFactory = _ => new SgldOptions().BurnIn };
        var every = new Option<int>("--steps-between-draws") { Description = "SGLD steps between draws.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int?>("--batch-size") { Description = "Minibatch size (default: full batch)." };
        var seed = new Option<long>("--seed") { Description = "Sampler seed.", DefaultValueFactory = _ => 0 };
        var sampler = new Option<string>("--sampler") { Description = "sgld | rmsprop-sgld | sgnht.", DefaultValueFactory = _ => "sgld" };
        var only = new Option<string[]>("--parameters") { Description = "Weight-restricted LLC: only these parameters move (names, module prefixes or globs).", AllowMultipleArgumentsPerToken = true };
        var sequential = new Option<bool>("--sequential") { Description = "Run chains one after another on the module instead of vectorised." };
        var output = new Option<string>("--out") { Description = "Output JSON file.", Required = true };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output." };
        var cmd = new Command("estimate", "Estimate the local learning coefficient (LLC) of a model on a data set with SGLD.")
        {
            arch, weights, xOpt, yOpt, loss, lr, loc, nbeta, chains, draws, burnin, every, batch, seed, sampler, only, sequential, output, quiet,
        };
        return cmd.WithAction(r =>
        {
            var device = Devices.Default;
            var spec = r.GetValue(arch)!;
            foreach (var f in new[] { r.GetValue(weights)!, r.GetValue(xOpt)!, r.GetValue(yOpt)! })
                if (!File.Exists(f)) throw new FileNotFoundException($"File '{f}' does not exist.", f);
            using var net = Network.Load(spec, r.GetValue(weights)!, device);
            using var x = Npy.Read(r.GetValue(xOpt)!);
            using var y = Npy.Read(r.GetValue(yOpt)!);
            var lossKind = r.GetValue(loss) is { } ln ? SamplingLosses.From(ln) : SamplingLosses.Infer(y);
            if (lossKind == LossKind.CrossEntropy && y.dtype != ScalarType.Int64)
                throw new ArgumentException($"--loss ce needs int64 labels in --y; '{r.GetValue(yOpt)}' holds {y.dtype}.");
            if (lossKind == LossKind.Mse && y.dtype != ScalarType.Float32 && y.dtype != ScalarType.Float64)
                throw new ArgumentException($"--loss mse needs float32 targets in --y; '{r.GetValue(yOpt)}' holds {y.dtype}. For class labels use --loss ce.");
            if (!x.is_floating_point()) throw new ArgumentException($"--x must hold float32 inputs; '{r.GetValue(xOpt)}' holds {x.dtype}.");
            var xs = x.to(ScalarType.Float32);
            var ys = lossKind == LossKind.Mse ? y.to(ScalarType.Float32) : y;
            long inputs = net.Spec.Widths[0];
            if (xs.dim() != 2 || xs.shape[1] != inputs)
                throw new ArgumentException($"--x has shape [{string.Join(",", xs.shape)}] but '{spec}' expects [n, {inputs}].");
            var kind = r.GetValue(sampler)!.Trim().ToLowerInvariant() switch
            {
                "sgld" => SamplerKind.Sgld,
                "rmsprop-sgld" or "rmsprop_sgld" => SamplerKind.RmspropSgld,
                "sgnht" => SamplerKind.Sgnht,
                var s => throw new ArgumentException($"Unknown sampler '{s}'. Use sgld, rmsprop-sgld or sgnht."),
            };
            var parameters = r.GetValue(only);
            var options = new SgldOptions
            {
                Lr = r.GetValue(lr), Localization = r.GetValue(loc), NBeta = r.GetValue(nbeta), Chains = r.GetValue(chains),
                Draws = r.GetValue(draws), BurnIn = r.GetValue(burnin), StepsBetweenDraws = r.GetValue(every), BatchSize = r.GetValue(batch),
                Seed = r.GetValue(seed), Sampler = kind, OnlyParameters = parameters is { Length: > 0 } ? parameters : null,
            };
            var observers = r.GetValue(quiet) ? [] : new ISamplerObserver[] { new ProgressObserver(Console.Error) };
            var result = Llc.Estimate(net, xs, ys, options, observers, lossKind, vectorized: !r.GetValue(sequential));
            var outPath = r.GetValue(output)!;
            AtomicFile.WriteAllText(outPath, result.ToJson(new Dictionary<string, object?>
            {
                ["arch"] = spec, ["weights"] = Path.GetFullPath(r.GetValue(weights)!), ["x"] = Path.GetFullPath(r.GetValue(xOpt)!),
                ["y"] = Path.GetFullPath(r.GetValue(yOpt)!), ["device"] = device.ToString(),
            }));
            Console.WriteLine(result);
            foreach (var w in result.Diagnostics.Warnings) Console.WriteLine($"warning: {w}");
            Console.WriteLine($"wrote {Path.GetFullPath(outPath)}");
            return 0;
        });
    }
}
