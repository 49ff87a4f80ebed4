using System.Diagnostics;
using LlcLab.Data;
using LlcLab.IO;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// Minibatch training of a <see cref="Network"/> in place: each epoch visits the examples in an order drawn
/// from a private generator (<see cref="TrainOptions.Seed"/>), one optimizer step per minibatch on the mean
/// loss (<see cref="LossKind"/>). Losses stay on the device during an epoch (one host sync per epoch).
/// Stops at <see cref="TrainOptions.MaxEpochs"/>/<see cref="TrainOptions.MaxSteps"/>, on a loss plateau
/// (<see cref="TrainOptions.Patience"/>) or at <see cref="TrainOptions.TargetAccuracy"/>.
/// </summary>
public static class Trainer
{
    public static TrainResult Train(Network net, Dataset train, TrainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(train);
        var o = options ?? new TrainOptions();
        Validate(o, train);
        var loss = o.Loss ?? Losses.Infer(train.Y);
        if (loss == LossKind.CrossEntropy && !train.IsClassification)
            throw new ArgumentException($"Cross-entropy needs class labels but '{train.Name}' has float targets; use LossKind.Mse.");
        var sw = Stopwatch.StartNew();
        var dev = net.Device;
        var x = train.X.to(dev);
        var y = train.Y.to(dev);
        long n = train.Count;
        var parameters = net.ParameterTensors();
        using var opt = o.Optimizer == OptimizerKind.Adam
            ? (optim.Optimizer)optim.Adam(parameters, o.LearningRate, weight_decay: o.WeightDecay)
            : optim.SGD(parameters, o.LearningRate, momentum: o.Momentum, weight_decay: o.WeightDecay);
        using var g = Seeding.Generator(o.Seed);

        var curve = new List<double>();
        var epochLosses = new List<double>();
        var checkpoints = new List<TrainCheckpoint>();
        long step = 0;
        int epoch = 0;
        string reason = "max-epochs";
        double best = double.PositiveInfinity;
        int sinceBest = 0;
        if (o.CheckpointEvery is not null) checkpoints.Add(Save(net, o, 0, 0));

        net.Module.train();
        while (epoch < o.MaxEpochs)
        {
            epoch++;
            var stepLosses = new List<Tensor>();
            using (var perm = randperm(n, generator: g).to(dev))
            {
                for (long s = 0; s < n; s += o.BatchSize)
                {
                    using (var scope = NewDisposeScope())
                    {
                        var idx = perm.slice(0, s, Math.Min(n, s + o.BatchSize), 1);
                        opt.zero_grad();
                        var l = Losses.Compute(loss, net.Module.call(x.index_select(0, idx)), y.index_select(0, idx));
                        l.backward();
                        opt.step();
                        stepLosses.Add(l.detach().MoveToOuterDisposeScope());
                    }
                    step++;
                    if (o.CheckpointEvery is { } k && step % k == 0) checkpoints.Add(Save(net, o, step, epoch));
                    if (o.MaxSteps is { } ms && step >= ms) { reason = "max-steps"; break; }
                }
            }
            double[] losses;
            using (var st = stack(stepLosses)) losses = st.to(ScalarType.Float64).cpu().data<double>().ToArray();
            foreach (var t in stepLosses) t.Dispose();
            curve.AddRange(losses);
            double epochLoss = losses.Average();
            epochLosses.Add(epochLoss);
            if (!double.IsFinite(epochLoss))
                throw new InvalidOperationException($"Training diverged at epoch {epoch} (loss {epochLoss}); lower the learning rate (now {o.LearningRate}).");

            double? trainAcc = null, testAcc = null;
            bool needAcc = train.IsClassification && (o.TargetAccuracy is not null || o.EvaluateEachEpoch);
            if (needAcc) trainAcc = Evaluate.Accuracy(net, train);
            if (o.EvaluateEachEpoch && o.Test is { IsClassification: true } test) testAcc = Evaluate.Accuracy(net, test);
            net.Module.train();
            o.Progress?.Invoke(new TrainProgress(epoch, step, epochLoss, trainAcc, testAcc));

            if (reason == "max-steps") break;
            if (o.TargetAccuracy is { } target && trainAcc >= target) { reason = "target-accuracy"; break; }
            if (epochLoss < best * (1 - o.MinRelativeImprovement)) { best = epochLoss; sinceBest = 0; }
            else if (o.Patience is { } p && ++sinceBest >= p) { reason = "plateau"; break; }
        }
        net.Module.eval();
        if (o.CheckpointEvery is not null && checkpoints[^1].Step != step) checkpoints.Add(Save(net, o, step, epoch));

        double? finalTrain = train.IsClassification ? Evaluate.Accuracy(net, train) : null;
        double? finalTest = o.Test is { IsClassification: true } te ? Evaluate.Accuracy(net, te) : null;
        return new TrainResult(curve, epochLosses, epochLosses.Count > 0 ? epochLosses[^1] : double.NaN, finalTrain, finalTest,
            step, epoch, reason, loss, checkpoints, sw.Elapsed.TotalSeconds);
    }

    static TrainCheckpoint Save(Network net, TrainOptions o, long step, int epoch)
    {
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu());
        string? path = null;
        if (o.CheckpointDirectory is { } dir)
        {
            path = Path.Combine(dir, $"step-{step:D7}.safetensors");
            SafeTensors.Write(path, state, net.FileMetadata(("step", step.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }
        return new TrainCheckpoint(step, epoch, o.KeepCheckpointsInMemory ? state : null, path);
    }

    static void Validate(TrainOptions o, Dataset train)
    {
        if (train.Count == 0) throw new ArgumentException("The training set is empty.");
        if (o.BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {o.BatchSize}.");
        if (o.MaxEpochs < 1) throw new ArgumentException($"MaxEpochs must be at least 1, got {o.MaxEpochs}.");
        if (!(o.LearningRate > 0)) throw new ArgumentException($"LearningRate must be positive, got {o.LearningRate}.");
        if (o.CheckpointEvery is < 1) throw new ArgumentException($"CheckpointEvery must be at least 1, got {o.CheckpointEvery}.");
        if (o.CheckpointDirectory is not null && o.CheckpointEvery is null)
            throw new ArgumentException("CheckpointDirectory is set but CheckpointEvery is not; say how often to save (in steps).");
    }
}
