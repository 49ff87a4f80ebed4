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
        var loss = lossKind ?? SamplingLosses.Infer(y);
        var obs = (observers ?? []).ToList();
        int C = o.Chains;
        var total = Stopwatch.StartNew();

        using var scope = NewDisposeScope();
        var wStar = parameters.Select(p => p.detach().to(ScalarType.Float32).to(dev)).ToList();
        var X = x.to(dev); var Y = y.to(dev);
        // Native shape errors inside a batched matmul can abort the process, so check the input width up front.
        if (net is MlpFunctional) CheckInputWidth(X, infos[0].Shape[1]);
        if (measure is { } mm) CheckInputWidth(mm.X, infos[0].Shape[1]);
        long outputs;
        using (no_grad()) using (var probe = net.Forward(wStar.Select(w => w.unsqueeze(0)).ToList(), X.narrow(0, 0, 1))) outputs = probe.shape[^1];
        SamplingLosses.Validate(loss, X, Y, outputs);
        Tensor? MX = null, MY = null;
        if (measure is { } m)
        {
            MX = m.X.to(dev); MY = m.Y.to(dev);
            SamplingLosses.Validate(loss, MX, MY, outputs, "restricted");
        }
        var moving = Select(infos.Select(i => i.Name).ToList(), o.OnlyParameters);
        long n = X.shape[0];
        double nb = o.ResolveNBeta(n);
        o = o with { NBeta = nb, Lr = o.ResolveLr(nb) };

        // L(w*): exact on the full (measurement) set, or averaged over minibatches like devinterp.
        var initSw = Stopwatch.StartNew();
        var wStar1 = wStar.Select(w => w.unsqueeze(0)).ToList();
        double initLoss;
        using (no_grad())
        {
            var (lx, ly) = (MX ?? X, MY ?? Y);
            if (o.InitLoss == InitLossMode.FullData || o.BatchSize is null || o.BatchSize >= lx.shape[0])
                initLoss = ChunkedLoss(net, wStar1, lx, ly, loss).cpu().item<float>();
            else
            {
                using var g = Seeding.Generator(Seeding.Derive(o.Seed, 7919), dev);
                double s = 0;
                for (int b = 0; b < o.InitLossBatches; b++)
                {
                    var idx = randperm(lx.shape[0], generator: g, device: dev).narrow(0, 0, o.BatchSize.Value);
                    s += SamplingLosses.PerChain(loss, net.Forward(wStar1, lx.index_select(0, idx)), ly.index_select(0, idx)).cpu().item<float>();
                }
                initLoss = s / o.InitLossBatches;
            }
        }
        initSw.Stop();

        // One flat leaf [C, D] holds every chain's moving parameters. It does not require grad itself: autograd
        // differentiates persistent per-parameter views of it (leaves of their own, made once), and the update acts on
        // the flat tensor, which the views share storage with. A parameter the network reads transposed (an MLP weight
        // feeding bmm) is stored transposed, so its view is a transpose of contiguous memory and both the forward and
        // the gradient copy run on contiguous operands. The update is elementwise, so the layout does not change it.
        var offsets = new long[infos.Count];
        long D = 0;
        for (int i = 0; i < infos.Count; i++) if (moving[i]) { offsets[i] = D; D += infos[i].Count; }
        bool Transposed(int i) => net.StoresTransposed(i) && infos[i].Shape.Length >= 2;
        Tensor Stored(Tensor w, int i) => Transposed(i) ? w.transpose(-1, -2) : w;
        var center = cat(wStar.Select((w, i) => (w, i)).Where(t => moving[t.i]).Select(t => Stored(t.w, t.i).contiguous().flatten()).ToList()).unsqueeze(0);
        var leaf = center.repeat(C, 1).contiguous();
        Tensor ParamView(Tensor flat, int i)
        {
            var shape = infos[i].Shape;
            long[] stored = Transposed(i) ? [C, .. shape[..^2], shape[^1], shape[^2]] : [C, .. shape];
            return Stored(flat.narrow(1, offsets[i], infos[i].Count).view(stored), i);
        }
        var views = infos.Select((info, i) => moving[i]
            ? ParamView(leaf, i).requires_grad_(true)
            : wStar[i].unsqueeze(0).expand([C, .. info.Shape])).ToList();
        var movingViews = views.Where((_, i) => moving[i]).ToList();
        // Gradients land in one flat [C, D] buffer through views laid out like the leaf's, so the update below stays a
        // few flat ops whatever the number of parameters.
        var gradFlat = zeros_like(leaf);
        var gradViews = Enumerable.Range(0, infos.Count).Where(i => moving[i]).Select(i => ParamView(gradFlat, i)).ToList();
        IList<Tensor> FlatGradient(Tensor total)
        {
            var gs = autograd.grad([total], movingViews);
            for (int i = 0; i < gs.Count; i++) gradViews[i].copy_(gs[i]);
            return [gradFlat];
        }

        Func<Tensor>? measureLoss = null;
        if (MX is not null)
            measureLoss = () => { using var _ = no_grad(); return ChunkedLoss(net, views, MX, MY!, loss); };

        // Hand-derived backprop where the network offers it (MLPs, deep linear networks): same gradient, no autograd graph.
        Func<Tensor, Tensor, (Tensor, IList<Tensor>)>? explicitStep = null;
        if (o.ExplicitGradients && net is IExplicitGradient { HasExplicitGradient: true } eg)
        {
            var targets = Enumerable.Range(0, infos.Count).Select(i => moving[i] ? ParamView(gradFlat, i) : null).ToList();
            explicitStep = (xb, yb) => (eg.LossAndGradient(views, xb, yb, loss, targets), [gradFlat]);
        }

        var engine = new SgmcmcEngine
        {
            LossOnBatch = (xb, yb) => SamplingLosses.PerChain(loss, net.Forward(views, xb), yb),
            LossAndGradient = explicitStep,
            Gradient = FlatGradient,
            MeasureLoss = measureLoss,
            Leaves = [leaf],
            Centers = [center],
            ChainDim = true,
            Chains = C,
            X = X, Y = Y,
            NBeta = nb,
            InitLoss = initLoss,
            MovingCount = D,
            Options = o,
            Observers = obs,
        };
        foreach (var ob in obs) ob.OnStart(C, o.Draws, o.TotalSteps, true);
        SgmcmcEngine.Output run;
        try
        {
            using var g = Seeding.Generator(o.Seed, dev);
            run = engine.Run(g);
        }
        finally { foreach (var ob in obs) ob.OnFinish(); }
        total.Stop();
        var names = infos.Where((_, i) => moving[i]).Select(i => i.Name).ToList();
        return Assemble(run, initLoss, nb, n, D, names, loss, true, o, total.Elapsed.TotalSeconds, initSw.Elapsed.TotalSeconds);
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
        var loss = lossKind ?? SamplingLosses.Infer(y);
        var obs = (observers ?? []).ToList();
        var total = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var X = x.to(dev); var Y = y.to(dev);
        bool wasTraining = module.training;
        module.eval();
        var moving = Select(named.Select(p => p.name).ToList(), o.OnlyParameters);
        var leaves = named.Where((_, i) => moving[i]).Select(p => (Tensor)p.parameter).ToList();
        var centers = leaves.Select(p => p.detach().clone()).ToList();
        long D = leaves.Sum(p => p.numel());
        long n = X.shape[0];
        double nb = o.ResolveNBeta(n);
        o = o with { NBeta = nb, Lr = o.ResolveLr(nb) };
        try
        {
            if (named[0].name.EndsWith("weight", StringComparison.Ordinal) && named[0].parameter.dim() == 2)
                CheckInputWidth(X, named[0].parameter.shape[1]);
            long outputs;
            using (no_grad()) using (var probe = module.call(X.narrow(0, 0, 1))) outputs = probe.shape[^1];
            SamplingLosses.Validate(loss, X, Y, outputs);
            var initSw = Stopwatch.StartNew();
            double initLoss;
            using (no_grad())
            {
                if (o.InitLoss == InitLossMode.FullData || o.BatchSize is null || o.BatchSize >= n)
                    initLoss = ChunkedModuleLoss(module, X, Y, loss);
                else
                {
                    using var g = Seeding.Generator(Seeding.Derive(o.Seed, 7919), dev);
                    double s = 0;
                    for (int b = 0; b < o.InitLossBatches; b++)
                    {
                        var idx = randperm(n, generator: g, device: dev).narrow(0, 0, o.BatchSize.Value);
                        s += SamplingLosses.PerChain(loss, module.call(X.index_select(0, idx)).unsqueeze(0), Y.index_select(0, idx)).cpu().item<float>();
                    }
                    initLoss = s / o.InitLossBatches;
                }
            }
            initSw.Stop();
            foreach (var ob in obs) ob.OnStart(o.Chains, o.Draws, o.TotalSteps, false);
            var losses = new double[o.Chains][];
            var mala = new double[o.Chains];
            long steps = 0; double seconds = 0;
            var single = o with { Chains = 1 };
            try
            {
                for (int c = 0; c < o.Chains; c++)
                {
                    using (no_grad()) for (int i = 0; i < leaves.Count; i++) leaves[i].copy_(centers[i]);
                    var engine = new SgmcmcEngine
                    {
                        LossOnBatch = (xb, yb) => SamplingLosses.PerChain(loss, module.call(xb).unsqueeze(0), yb),
                        Leaves = leaves,
                        Centers = centers,
                        ChainDim = false,
                        Chains = 1,
                        X = X, Y = Y,
                        NBeta = nb,
                        InitLoss = initLoss,
                        MovingCount = D,
                        Options = single,
                        Observers = obs,
                        ChainOffset = c,
                        ProgressOffset = c * o.TotalSteps,
                        ProgressTotal = o.Chains * o.TotalSteps,
                    };
                    using var g = Seeding.Generator(Seeding.Derive(o.Seed, c), dev);
                    var r = engine.Run(g);
                    losses[c] = r.Losses[0];
                    mala[c] = r.MalaPerChain?[0] ?? double.NaN;
                    steps += r.Steps; seconds += r.Seconds;
                }
            }
            finally { foreach (var ob in obs) ob.OnFinish(); }
            total.Stop();
            var run = new SgmcmcEngine.Output(losses, o.ComputeMala && o.Sampler == SamplerKind.Sgld && o.BoundingBox is null ? mala : null, steps, seconds);
            var names = named.Where((_, i) => moving[i]).Select(p => p.name).ToList();
            return Assemble(run, initLoss, nb, n, D, names, loss, false, o, total.Elapsed.TotalSeconds, initSw.Elapsed.TotalSeconds);
        }
        finally
        {
            using (no_grad()) for (int i = 0; i < leaves.Count; i++) leaves[i].copy_(centers[i]);
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

    static Tensor ChunkedLoss(IFunctionalNet net, IReadOnlyList<Tensor> parameters, Tensor x, Tensor y, LossKind loss, long chunk = 16384)
    {
        long n = x.shape[0];
        Tensor? sum = null;
        for (long s = 0; s < n; s += chunk)
        {
            long len = Math.Min(chunk, n - s);
            var l = SamplingLosses.PerChain(loss, net.Forward(parameters, x.narrow(0, s, len)), y.narrow(0, s, len)).mul(len);
            sum = sum is null ? l : sum.add_(l);
        }
        return sum!.div_(n);
    }

    static double ChunkedModuleLoss(nn.Module<Tensor, Tensor> module, Tensor x, Tensor y, LossKind loss, long chunk = 16384)
    {
        long n = x.shape[0];
        double s = 0;
        for (long i = 0; i < n; i += chunk)
        {
            long len = Math.Min(chunk, n - i);
            using var l = SamplingLosses.PerChain(loss, module.call(x.narrow(0, i, len)).unsqueeze(0), y.narrow(0, i, len));
            s += l.cpu().item<float>() * len;
        }
        return s / n;
    }

    static LlcResult Assemble(SgmcmcEngine.Output run, double initLoss, double nb, long n, long d, IReadOnlyList<string> names,
        LossKind loss, bool vectorized, SgldOptions o, double elapsed, double initSeconds)
    {
        var llcTrace = run.Losses.Select(c => c.Select(v => nb * (v - initLoss)).ToArray()).ToArray();
        var perChain = llcTrace.Select(c => c.Average()).ToArray();
        double mean = perChain.Average();
        double std = perChain.Length > 1 ? Math.Sqrt(perChain.Sum(v => (v - mean) * (v - mean)) / (perChain.Length - 1)) : 0;
        double rhat = ChainDiagnostics.SplitRHat(llcTrace);
        double ess = ChainDiagnostics.Ess(llcTrace);
        double below = ChainDiagnostics.FractionBelow(run.Losses, initLoss);
        double? mala = run.MalaPerChain is { } mp && mp.Any(double.IsFinite) ? mp.Where(double.IsFinite).Average() : null;
        var warnings = new List<string>();
        if (double.IsFinite(rhat) && rhat > 1.1) warnings.Add($"Chains disagree (split-R̂ = {rhat:F2} > 1.1): run more draws or burn-in, or lower ε.");
        double belowLimit = o.BatchSize is null || o.BatchSize >= n ? 0.2 : 0.45;
        if (below > belowLimit)
            warnings.Add($"{below:P0} of draws have a loss below L(w*): w* is not a local minimum (still training?) and λ̂ is biased low. Train longer, or use a larger localization γ.");
        if (mean < 0) warnings.Add("λ̂ is negative: w* is not a local minimum of the loss; the LLC is undefined there.");
        if (mala is { } ma && ma < 0.9) warnings.Add($"MALA acceptance {ma:F2} < 0.9: ε = {o.Lr:G3} is large enough to bias λ̂; try ε/2 and compare.");
        var diag = new LlcDiagnostics(rhat, ess, below, mala, warnings);
        var timings = new LlcTimings(initSeconds, run.Seconds, run.Seconds > 0 ? run.Steps / run.Seconds : double.NaN);
        return new LlcResult(mean, std, perChain, llcTrace, run.Losses, initLoss, nb, n, d, names, loss, vectorized, o, diag, elapsed, timings);
    }
}
