using System.Diagnostics;
using System.Text.RegularExpressions;
using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>How a data-restricted (data-refined) LLC uses the other data set.</summary>
public enum DataRestriction
{
    /// <summary>Wang et al. 2024 ("Differentiation and specialization of attention heads via the refined local
    /// learning coefficient", §2): the whole estimator — the SGLD posterior and the measured loss — uses the other
    /// data set. Default.</summary>
    Posterior,
    /// <summary>The chains sample the posterior of the training loss, but the loss averaged over draws and L(w*) are
    /// measured on the other data set: "how much does the training posterior's spread cost on this subset".</summary>
    MeasureOnly,
}

/// <summary>
/// Local Learning Coefficient estimates (Lau, Furman, Wang, Murfet &amp; Wei 2023, arXiv 2308.12108):
/// λ̂(w*) = nβ·(E_w[L_n(w)] − L_n(w*)) with the expectation over the localized tempered posterior
/// ∝ exp(−nβ L_n(w) − γ/2‖w − w*‖²), sampled by SGLD (eq. 11–13). One call with defaults returns the full record.
/// </summary>
public static class Llc
{
    /// <summary>
    /// LLC of <paramref name="model"/> at its current weights (w*) on (x, y). Chains are vectorised (all advance in one
    /// batched forward/backward) unless <paramref name="vectorized"/> is false, in which case they run one after
    /// another on <see cref="Network.Module"/> (statistically equivalent; useful for checking). The loss defaults to
    /// cross-entropy for integer y and the Gaussian NLL for float y.
    /// </summary>
    public static LlcResult Estimate(Network model, Tensor x, Tensor y, SgldOptions? options = null,
        IEnumerable<ISamplerObserver>? observers = null, LossKind? loss = null, bool vectorized = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!vectorized) return Estimate(model.Module, x, y, options, observers, loss);
        var wStar = model.ParameterTensors().Select(p => (Tensor)p.detach()).ToList();
        return Estimate(model.Functional, wStar, x, y, options, observers, loss);
    }

    /// <summary>Weight-restricted LLC (Wang et al. 2024): only parameters matching <paramref name="parameters"/> move.</summary>
    public static LlcResult EstimateWeightRestricted(Network model, Tensor x, Tensor y, IEnumerable<string> parameters,
        SgldOptions? options = null, IEnumerable<ISamplerObserver>? observers = null, LossKind? loss = null) =>
        Estimate(model, x, y, (options ?? new SgldOptions()) with { OnlyParameters = parameters.ToList() }, observers, loss);

    /// <summary>
    /// Data-restricted LLC (Wang et al. 2024) on (<paramref name="xRestricted"/>, <paramref name="yRestricted"/>), e.g. the
    /// forget set. nβ defaults to n/ln n of the <em>training</em> set in both modes, so estimates on different subsets
    /// share one temperature and can be compared; pass <see cref="SgldOptions.NBeta"/> to override.
    /// </summary>
    public static LlcResult EstimateDataRestricted(Network model, Tensor x, Tensor y, Tensor xRestricted, Tensor yRestricted,
        DataRestriction mode = DataRestriction.Posterior, SgldOptions? options = null,
        IEnumerable<ISamplerObserver>? observers = null, LossKind? loss = null)
    {
        var o = options ?? new SgldOptions();
        o = o with { NBeta = o.ResolveNBeta(x.shape[0]) };
        var wStar = model.ParameterTensors().Select(p => (Tensor)p.detach()).ToList();
        return mode == DataRestriction.Posterior
            ? Estimate(model.Functional, wStar, xRestricted, yRestricted, o, observers, loss)
            : EstimateCore(model.Functional, wStar, x, y, o, observers, loss, (xRestricted, yRestricted));
    }

    /// <summary>Vectorised estimate for a batched functional network and its parameters w* (in
    /// <see cref="IFunctionalNet.Parameters"/> order, without a chain dimension).</summary>
    public static LlcResult Estimate(IFunctionalNet net, IReadOnlyList<Tensor> parameters, Tensor x, Tensor y,
        SgldOptions? options = null, IEnumerable<ISamplerObserver>? observers = null, LossKind? loss = null) =>
        EstimateCore(net, parameters, x, y, options ?? new SgldOptions(), observers, loss, null);

    static LlcResult EstimateCore(IFunctionalNet net, IReadOnlyList<Tensor> parameters, Tensor x, Tensor y, SgldOptions o,
        IEnumerable<ISamplerObserver>? observers, LossKind? lossKind, (Tensor X, Tensor Y)? measure)
    {
        TorchRuntime.Initialize();
        o.Validate();
        var infos = net.Parameters;
        if (parameters.Count != infos.Count)
            throw new ArgumentException($"Got {parameters.Count} parameter tensors but the network has {infos.Count}: {string.Join(", ", infos)}.");
        for (int i = 0; i < infos.Count; i++)
            if (!parameters[i].shape.SequenceEqual(infos[i].Shape))
                throw new ArgumentException($"Parameter '{infos[i].Name}' has shape [{string.Join(",", parameters[i].shape)}]; the network expects [{string.Join(",", infos[i].Shape)}].");
        var dev = o.Device is { } dn ? Devices.Parse(dn) : parameters[0].device;
        var loss = lossKind ?? Losses.Infer(y);
        var obs = (observers ?? []).ToList();
        var total = Stopwatch.StartNew();

        using var scope = NewDisposeScope();
        var wStar = parameters.Select(p => p.detach().to(ScalarType.Float32).to(dev)).ToList();
        var X = x.to(dev); var Y = Losses.Prepare(loss, y.to(dev));
        // Native shape errors inside a batched matmul can abort the process, so check the input width up front.
        if (net is MlpFunctional) CheckInputWidth(X, infos[0].Shape[1]);
        if (measure is { } mm) CheckInputWidth(mm.X, infos[0].Shape[1]);
        long outputs;
        using (no_grad()) using (var probe = net.Forward(wStar.Select(w => w.unsqueeze(0)).ToList(), X.narrow(0, 0, 1))) outputs = probe.shape[^1];
        Losses.Validate(loss, X, Y, outputs);
        Tensor? MX = null, MY = null;
        if (measure is { } m)
        {
            MX = m.X.to(dev); MY = Losses.Prepare(loss, m.Y.to(dev));
            Losses.Validate(loss, MX, MY, outputs, "restricted");
        }
        var moving = Select(infos.Select(i => i.Name).ToList(), o.OnlyParameters);
        long n = X.shape[0];
        double nb = o.ResolveNBeta(n);
        o = o with { NBeta = nb, Lr = o.ResolveLr(nb) };

        // L(w*): exact on the full (measurement) set, or averaged over minibatches like devinterp.
        var initSw = Stopwatch.StartNew();
        var target = SgmcmcTarget.Vectorized(net, wStar, o.Chains, loss, moving, o.ExplicitGradients);
        var start = SgmcmcTarget.Vectorized(net, wStar, 1, loss, moving, explicitGradients: false);
        double initLoss = InitLoss(start, MX ?? X, MY ?? Y, o, dev);
        initSw.Stop();

        Func<Tensor>? measureLoss = MX is null ? null : () => target.Loss(MX, MY!);
        foreach (var ob in obs) ob.OnStart(o.Chains, o.Draws, o.TotalSteps, true);
        try
        {
            var (llc, mala, paired, run) = Run(target, X, Y, o, initLoss, obs, measureLoss, o.Seed, 0, 0, 0);
            total.Stop();
            return Assemble(llc.Losses, mala?.PerChain, paired?.Differences, run.Steps, run.Seconds, initLoss, nb, n, target.MovingCount, target.ParameterNames,
                loss, true, o, total.Elapsed.TotalSeconds, initSw.Elapsed.TotalSeconds);
        }
        finally { foreach (var ob in obs) ob.OnFinish(); }
    }

    /// <summary>
    /// One engine run composed for the LLC: the update rule of <paramref name="o"/>, the <see cref="LlcObserver"/> (draw
    /// losses, divergence guard, host listeners), unless switched off or a bounding box breaks the proposal the
    /// <see cref="MalaObserver"/>, and with minibatches on the training set the <see cref="PairedLossObserver"/> (the paired minimum check).
    /// </summary>
    static (LlcObserver Llc, MalaObserver? Mala, PairedLossObserver? Paired, SgmcmcSummary Run) Run(SgmcmcTarget target, Tensor x, Tensor y, SgldOptions o, double initLoss,
        IReadOnlyList<ISamplerObserver> listeners, Func<Tensor>? measure, long seed, int chainOffset, long progressOffset, long progressTotal)
    {
        double nb = o.NBeta!.Value, lr = o.Lr!.Value;
        var llc = new LlcObserver(initLoss)
        {
            Measure = measure, DivergenceFactor = o.DivergenceFactor, Listeners = listeners,
            ChainOffset = chainOffset, ProgressOffset = progressOffset, ProgressTotal = progressTotal,
        };
        var mala = o.ComputeMala && o.BoundingBox is null ? new MalaObserver() : null;
        // With a measurement set the draws' losses and L(w*) are both exact on that set, so the unpaired check is already paired.
        var paired = o.PairedMinimumCheck && o.BatchSize is { } bs && bs < x.shape[0] && measure is null ? new PairedLossObserver() : null;
        ISgmcmcObserver[] observers = [llc, .. mala is null ? Array.Empty<ISgmcmcObserver>() : [mala], .. paired is null ? Array.Empty<ISgmcmcObserver>() : [paired]];
        var options = new SgmcmcOptions
        {
            NBeta = nb, Localization = o.Localization, WeightDecay = o.WeightDecay, Draws = o.Draws, BurnIn = o.BurnIn,
            StepsBetweenDraws = o.StepsBetweenDraws, BatchSize = o.BatchSize, Seed = seed, BoundingBox = o.BoundingBox,
            CheckInterval = o.CheckInterval, LossLimit = LlcObserver.LossLimit(initLoss, o.DivergenceFactor, target.MovingCount, nb),
        };
        var update = SgmcmcUpdates.From(o, lr);
        try
        {
            var run = Sgmcmc.Sample(target, x, y, update, observers, options);
            return (llc, mala, paired, run);
        }
        catch (SamplerDivergedException e) when (chainOffset != 0 && e.Chain < target.Chains) { throw e.WithChainOffset(chainOffset); }
        finally { (update as IDisposable)?.Dispose(); }
    }

    /// <summary>L(w*) on (x, y): exact over the whole set, or (devinterp's way) the mean over random minibatches.</summary>
    static double InitLoss(SgmcmcTarget start, Tensor x, Tensor y, SgldOptions o, Device dev)
    {
        using var ng = no_grad();
        if (o.InitLoss == InitLossMode.FullData || o.BatchSize is null || o.BatchSize >= x.shape[0])
            return start.Loss(x, y).cpu().item<float>();
        using var g = Seeding.Generator(Seeding.Derive(o.Seed, 7919), dev);
        double s = 0;
        for (int b = 0; b < o.InitLossBatches; b++)
        {
            using var scope = NewDisposeScope();
            var idx = randperm(x.shape[0], generator: g, device: dev).narrow(0, 0, o.BatchSize.Value);
            s += start.Loss(x.index_select(0, idx), y.index_select(0, idx)).cpu().item<float>();
        }
        return s / o.InitLossBatches;
    }

    /// <summary>
    /// Sequential estimate for an arbitrary TorchSharp module (output <c>[B, K]</c>): chains run one after another with
    /// the same update rule, directly on the module's parameters (no deep copy); w* is copied back in place afterwards,
    /// even when sampling fails. Chain c uses the sub-seed <c>Seeding.Derive(seed, c)</c>. MALA is computed per chain.
    /// </summary>
    public static LlcResult Estimate(nn.Module<Tensor, Tensor> module, Tensor x, Tensor y, SgldOptions? options = null,
        IEnumerable<ISamplerObserver>? observers = null, LossKind? lossKind = null)
    {
        TorchRuntime.Initialize();
        ArgumentNullException.ThrowIfNull(module);
        var o = options ?? new SgldOptions();
        o.Validate();
        var named = module.named_parameters().ToList();
        if (named.Count == 0) throw new ArgumentException("The module has no parameters to sample.");
        var dev = named[0].parameter.device;
        if (o.Device is { } dn && Devices.Parse(dn).type != dev.type)
            throw new ArgumentException($"SgldOptions.Device is '{dn}' but the module lives on {dev}; move it first with module.to(device).");
        var loss = lossKind ?? Losses.Infer(y);
        var obs = (observers ?? []).ToList();
        var total = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var X = x.to(dev); var Y = Losses.Prepare(loss, y.to(dev));
        bool wasTraining = module.training;
        module.eval();
        var moving = Select(named.Select(p => p.name).ToList(), o.OnlyParameters);
        var target = SgmcmcTarget.Module(module, loss, moving);
        long n = X.shape[0];
        double nb = o.ResolveNBeta(n);
        o = o with { NBeta = nb, Lr = o.ResolveLr(nb) };
        try
        {
            if (named[0].name.EndsWith("weight", StringComparison.Ordinal) && named[0].parameter.dim() == 2)
                CheckInputWidth(X, named[0].parameter.shape[1]);
            long outputs;
            using (no_grad()) using (var probe = module.call(X.narrow(0, 0, 1))) outputs = probe.shape[^1];
            Losses.Validate(loss, X, Y, outputs);
            var initSw = Stopwatch.StartNew();
            double initLoss = InitLoss(target, X, Y, o, dev);
            initSw.Stop();
            foreach (var ob in obs) ob.OnStart(o.Chains, o.Draws, o.TotalSteps, false);
            var losses = new double[o.Chains][];
            var pairedDiffs = new double[o.Chains][];
            bool anyPaired = false;
            var mala = new double[o.Chains];
            bool anyMala = false;
            long steps = 0; double seconds = 0;
            try
            {
                for (int c = 0; c < o.Chains; c++)
                {
                    target.Reset();
                    var (llc, m, p, run) = Run(target, X, Y, o, initLoss, obs, null, Seeding.Derive(o.Seed, c), c, c * o.TotalSteps, o.Chains * o.TotalSteps);
                    losses[c] = llc.Losses[0];
                    pairedDiffs[c] = p?.Differences[0] ?? [];
                    anyPaired |= p is not null;
                    mala[c] = m?.PerChain[0] ?? double.NaN;
                    anyMala |= m is not null;
                    steps += run.Steps; seconds += run.Seconds;
                }
            }
            finally { foreach (var ob in obs) ob.OnFinish(); }
            total.Stop();
            return Assemble(losses, anyMala ? mala : null, anyPaired ? pairedDiffs : null, steps, seconds, initLoss, nb, n, target.MovingCount, target.ParameterNames, loss, false, o,
                total.Elapsed.TotalSeconds, initSw.Elapsed.TotalSeconds);
        }
        finally
        {
            target.Reset();
            module.train(wasTraining);
        }
    }

    static void CheckInputWidth(Tensor x, long inputs)
    {
        if (x.dim() != 2 || x.shape[1] != inputs)
            throw new ArgumentException($"The inputs x have shape [{string.Join(",", x.shape)}] but the model expects [n, {inputs}].");
    }

    /// <summary>Which parameters move: all when <paramref name="filter"/> is null; else names equal to an entry, under a
    /// module prefix (<c>2</c> → <c>2.weight</c>, <c>2.bias</c>), or matching a <c>*</c> glob.</summary>
    internal static bool[] Select(IReadOnlyList<string> names, IReadOnlyList<string>? filter)
    {
        if (filter is null) return names.Select(_ => true).ToArray();
        if (filter.Count == 0) throw new ArgumentException("SgldOptions.OnlyParameters is empty; pass null to sample every parameter.");
        var result = new bool[names.Count];
        foreach (var f in filter)
        {
            var rx = new Regex("^" + Regex.Escape(f.Trim()).Replace("\\*", ".*") + "$");
            bool any = false;
            for (int i = 0; i < names.Count; i++)
                if (names[i] == f || names[i].StartsWith(f + ".", StringComparison.Ordinal) || rx.IsMatch(names[i])) { result[i] = true; any = true; }
            if (!any) throw new ArgumentException($"No parameter matches '{f}'. Parameters: {string.Join(", ", names)}.");
        }
        return result;
    }

    static LlcResult Assemble(double[][] drawLosses, double[]? malaPerChain, double[][]? pairedDifferences, long steps, double seconds, double initLoss, double nb, long n, long d,
        IReadOnlyList<string> names, LossKind loss, bool vectorized, SgldOptions o, double elapsed, double initSeconds)
    {
        var llcTrace = drawLosses.Select(c => c.Select(v => nb * (v - initLoss)).ToArray()).ToArray();
        var perChain = llcTrace.Select(c => c.Average()).ToArray();
        double mean = perChain.Average();
        double std = perChain.Length > 1 ? Math.Sqrt(perChain.Sum(v => (v - mean) * (v - mean)) / (perChain.Length - 1)) : 0;
        double rhat = ChainDiagnostics.SplitRHat(llcTrace);
        double ess = ChainDiagnostics.Ess(llcTrace);
        double unpaired = ChainDiagnostics.FractionBelow(drawLosses, initLoss);
        // The minimum check: with minibatches, paired per batch (PairedLossObserver: L_B(w_t) − L_B(w*) < 0); else against L(w*).
        bool isPaired = pairedDifferences is not null && pairedDifferences.Sum(c => c.Length) > 0;
        double below = isPaired ? ChainDiagnostics.FractionBelow(pairedDifferences!, 0) : unpaired;
        double? mala = malaPerChain is { } mp && mp.Any(double.IsFinite) ? mp.Where(double.IsFinite).Average() : null;
        var warnings = new List<string>();
        if (!DiagnosticThresholds.RHatOk(rhat))
            warnings.Add($"Chains disagree (split-R̂ = {rhat:F2} > {DiagnosticThresholds.MaxRHat}): run more draws or burn-in, or lower ε.");
        if (below > DiagnosticThresholds.MaxFractionBelowInitLoss(o.BatchSize, n))
            warnings.Add($"{below:P0} of draws have a loss below L(w*){(isPaired ? " on the same minibatch" : "")}: w* is not a local minimum (still training?) and λ̂ is biased low. Train longer, or use a larger localization γ.");
        if (mean < 0) warnings.Add("λ̂ is negative: w* is not a local minimum of the loss; the LLC is undefined there.");
        if (!DiagnosticThresholds.MalaOk(mala))
            warnings.Add($"MALA acceptance {mala:F2} < {DiagnosticThresholds.MinMalaAcceptance}: ε = {o.Lr:G3} is large enough to bias λ̂; try ε/2 and compare.");
        var diag = new LlcDiagnostics(rhat, ess, below, mala, warnings) { PairedMinimumCheck = isPaired, FractionBelowUnpaired = unpaired };
        var timings = new LlcTimings(initSeconds, seconds, seconds > 0 ? steps / seconds : double.NaN);
        return new LlcResult(mean, std, perChain, llcTrace, drawLosses, initLoss, nb, n, d, names, loss, vectorized, o, diag, elapsed, timings);
    }
}
