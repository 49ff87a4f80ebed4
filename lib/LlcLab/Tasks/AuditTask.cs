using TorchSharp;
using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Unlearning;
using LlcLab.Protocols;
using static TorchSharp.torch;

namespace LlcLab.Tasks;

/// <summary>
/// One unlearning problem of the RQ4 audit: a data set ("digits": the shared <see cref="DigitsTask"/> split and model;
/// "fashion": a stratified subsample of Fashion-MNIST's official split, to keep full-batch SGLD affordable), a forget set
/// ("class": every training row of <see cref="UnlearningAuditOptions.ForgetClass"/>; "random": a seeded 10 % of D_train),
/// the trained original, and the held-out data split in two seeded halves — <see cref="Validation"/> (for tuning) and
/// <see cref="UnlearningData.Test"/> (for reporting TA and the membership attacks). Disposing it disposes the model.
/// </summary>
public sealed class AuditTask : IDisposable
{
    /// <summary>The concept on <see cref="UnlearningData"/>'s rows: 1 for a member of D_f (and, on test rows under "class", for the forgotten class).</summary>
    public const string ForgetConcept = "forget";
    /// <summary>"digits/class", "fashion/random", …: the Model column of the audit's rows.</summary>
    public string Name { get; }
    public string Dataset { get; }
    public string Kind { get; }
    public string Arch { get; }
    public long Seed { get; }
    public int Epochs { get; }
    /// <summary>The original model, trained on D_train = D_f ∪ D_r.</summary>
    public Network Original { get; }
    /// <summary>D_f, D_r and the reporting half of the held-out data.</summary>
    public UnlearningData Data { get; }
    /// <summary>The tuning half of the held-out data (never used for reporting).</summary>
    public LabelledSubset Validation { get; }
    /// <summary>D_r as a data set (what retraining trains on).</summary>
    public Dataset RetainSet { get; }
    /// <summary>D_train = D_f ∪ D_r in its original row order (what the original was trained on), with the <see cref="ForgetConcept"/>.</summary>
    public Dataset Train { get; }

    AuditTask(string dataset, string kind, string arch, long seed, int epochs, Network original, UnlearningData data, LabelledSubset validation, Dataset retain, Dataset train)
    {
        Dataset = dataset; Kind = kind; Arch = arch; Seed = seed; Epochs = epochs; Original = original; Data = data; Validation = validation;
        RetainSet = retain; Train = train; Name = $"{dataset}/{kind}";
    }

    /// <summary>Builds the task for one (data set, forget kind, seed).</summary>
    public static AuditTask Create(string dataset, string kind, long seed, UnlearningAuditOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Dataset train, held;
        Network model;
        string arch;
        int epochs;
        switch (dataset)
        {
            case "digits":
                {
                    var t = DigitsTask.Create(o.DigitsArch, seed, o.Quick);
                    (train, held, model, arch, epochs) = (t.Train, t.Test, t.Model, o.DigitsArch, DigitsTask.DefaultEpochs(o.Quick));
                    break;
                }
            case "fashion":
                {
                    var (ftrain, ftest) = FashionMnist.Load(new FashionMnistOptions { PlantSpurious = false });
                    train = Subsample(ftrain, o.FashionTrain);
                    held = Subsample(ftest, o.FashionTest);
                    arch = o.FashionArch;
                    epochs = o.FashionEpochs;
                    model = Network.Create(arch, seed, Devices.Default);
                    Training.Fit(model, train, epochs, seed: seed);
                    break;
                }
            default: throw new ArgumentException($"Unknown data set '{dataset}'; use digits or fashion (UnlearningAuditOptions.Datasets).");
        }
        var (test, val) = held.Split(0.5, seed: 1);
        long[] forgetRows = kind switch
        {
            "class" => Rows(train.Y.eq(o.ForgetClass)),
            "random" => RandomRows(train.Count, o.ForgetFraction, seed),
            _ => throw new ArgumentException($"Unknown forget kind '{kind}'; use class or random (UnlearningAuditOptions.ForgetKinds)."),
        };
        // The concept "is in D_f" on every row (test rows: of the forgotten class under "class", none under "random"), so that
        // concept erasers (LEACE, INLP: notebook 08) can erase exactly what is to be forgotten.
        var member = zeros(train.Count, dtype: ScalarType.Int64);
        if (forgetRows.Length > 0) member.index_fill_(0, tensor(forgetRows), 1);
        train = train.WithConcept(ForgetConcept, member);
        using (var fc = o.ForgetClass.ToScalar())
            test = test.WithConcept(ForgetConcept, kind == "class" ? test.Y.eq(fc).to(ScalarType.Int64) : zeros(test.Count, dtype: ScalarType.Int64));
        var data = UnlearningData.ByIndices(train, forgetRows, test, concept: ForgetConcept);
        var retain = train.Subset((IEnumerable<long>)data.Retain.Indices!, train.Name + "/retain");
        return new AuditTask(dataset, kind, arch, seed, epochs, model, data, LabelledSubset.From(val), retain, train);
    }

    /// <summary>A network trained from scratch on D_r with the original's recipe (same epochs, batch and optimiser), init seed <paramref name="initSeed"/>.</summary>
    public Network Retrain(long initSeed)
    {
        var net = Network.Create(Arch, initSeed, Original.Device);
        Training.Fit(net, RetainSet, Epochs, seed: initSeed);
        return net;
    }

    /// <summary>Optimiser steps of <see cref="Retrain"/>: epochs × ⌈|D_r| / 64⌉.</summary>
    public int RetrainSteps => Epochs * (int)((RetainSet.Count + 63) / 64);

    static Dataset Subsample(Dataset d, int n) => n >= d.Count ? d : d.Split(1 - n / (double)d.Count, seed: 0).Train;

    static long[] Rows(Tensor mask) => mask.nonzero().squeeze(1).cpu().data<long>().ToArray();

    static long[] RandomRows(long n, double fraction, long seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentException($"ForgetFraction must be in (0, 1) (got {fraction}).");
        using var g = Seeding.Generator(Seeding.Derive(seed, 811));
        return randperm(n, generator: g).narrow(0, 0, (long)Math.Round(fraction * n)).data<long>().OrderBy(i => i).ToArray();
    }

    public void Dispose() => Original.Dispose();
}
