using LlcLab.IO;
using LlcLab.Tests.IO;
using Xunit;
using static LlcLab.Tests.Cli.CliHarness;
using static TorchSharp.torch;

namespace LlcLab.Tests.Cli;

/// <summary>
/// One test per row of issue 15's table of hostile inputs: each gives exit 2, an error naming the problem and the flag,
/// no stack trace, and no file left behind (the temp folder holds only the inputs afterwards).
/// </summary>
[Collection("cli")]
public class BadInputTests
{
    /// <summary>X.npy [50, 64] float32 plus labels; <paramref name="labels"/> overrides the default 0…9 cycle.</summary>
    static (string X, string Y) Npys(Fixture.TempDir dir, long[]? labels = null, int rows = 50, bool nan = false)
    {
        using var x = randn(rows, 64, generator: new TorchSharp.torch.Generator(1));
        if (nan && rows > 0) x[3, 5] = tensor(float.NaN);
        var y = labels ?? Enumerable.Range(0, rows).Select(i => (long)(i % 10)).ToArray();
        Npy.Write(dir.File("x.npy"), x);
        using var yt = tensor(y, ScalarType.Int64);
        Npy.Write(dir.File("y.npy"), yt);
        return (dir.File("x.npy"), dir.File("y.npy"));
    }

    static long[] LabelsWith(long bad) => [.. Enumerable.Range(0, 49).Select(i => (long)(i % 10)), bad];

    [Fact]
    public void Train_with_label_10_names_the_label_and_the_output_width()
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Npys(dir, LabelsWith(10));
        var r = Run("train", "--arch", "mlp:64-16-10:relu", "--data", x, "--labels", y, "--out", dir.File("m.safetensors"), "--quiet");
        AssertUsageError(r, "--labels", "label 10", "10 outputs");
        Assert.Equal(["x.npy", "y.npy"], Files(dir.Root));
    }

    [Fact]
    public void Train_with_label_minus_1_is_refused()
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Npys(dir, LabelsWith(-1));
        AssertUsageError(Run("train", "--arch", "mlp:64-16-10:relu", "--data", x, "--labels", y, "--out", dir.File("m.safetensors")), "--labels", "label -1");
        Assert.Equal(["x.npy", "y.npy"], Files(dir.Root));
    }

    [Fact]
    public void Train_and_estimate_with_zero_rows_are_refused()
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Npys(dir, rows: 0);
        AssertUsageError(Run("train", "--arch", "mlp:64-16-10:relu", "--data", x, "--labels", y, "--out", dir.File("m.safetensors")), "--data", "no rows");
        SaveUntrained(dir.File("w.safetensors"));
        AssertUsageError(Run("estimate", "--model", dir.File("w.safetensors"), "--data", x, "--labels", y, "--out", dir.File("r.json")), "--data", "no rows");
        Assert.Equal(["w.safetensors", "x.npy", "y.npy"], Files(dir.Root));
    }

    [Fact]
    public void Train_with_too_few_outputs_for_digits_is_refused()
    {
        using var dir = new Fixture.TempDir();
        AssertUsageError(Run("train", "--arch", "mlp:64-32-5:relu", "--data", "digits", "--out", dir.File("m.safetensors")),
            "--arch", "5 outputs", "mlp:64-32-10:relu");
        Assert.Empty(Files(dir.Root));
    }

    [Fact]
    public void Train_with_the_wrong_input_width_for_digits_is_refused()
    {
        using var dir = new Fixture.TempDir();
        AssertUsageError(Run("train", "--arch", "mlp:32-32-10:relu", "--data", "digits", "--out", dir.File("m.safetensors")),
            "--arch", "width 32", "[1797, 64]");
        Assert.Empty(Files(dir.Root));
    }

    [Fact]
    public void Out_under_a_regular_file_is_refused_before_any_work()
    {
        using var dir = new Fixture.TempDir();
        File.WriteAllText(dir.File("afile"), "x");
        AssertUsageError(Run("train", "--arch", "mlp:64-16-10:relu", "--out", dir.File("afile/m.safetensors")), "--out", "regular file");
        SaveUntrained(dir.File("w.safetensors"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        AssertUsageError(Run("estimate", "--model", dir.File("w.safetensors"), "--out", dir.File("afile/r.json")), "--out", "regular file");
        Assert.True(sw.Elapsed.TotalSeconds < 20, "estimate must check --out before sampling");
        AssertUsageError(Run("unlearn", "--method", "neggrad", "--model", dir.File("w.safetensors"), "--forget", "class:3", "--out", dir.File("afile/run")), "--out", "regular file");
        Assert.Equal(["afile", "w.safetensors"], Files(dir.Root));
    }

    [Fact]
    public void Unlearn_with_label_10_in_labels_is_refused()
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Npys(dir, LabelsWith(10));
        SaveUntrained(dir.File("w.safetensors"));
        var r = Run("unlearn", "--method", "neggrad", "--model", dir.File("w.safetensors"), "--data", x, "--labels", y, "--forget", "class:3",
            "--out", dir.File("run"));
        AssertUsageError(r, "--labels", "label 10");
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Fact]
    public void NaN_in_train_or_unlearn_data_is_named_as_NaN_not_blamed_on_the_learning_rate()
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Npys(dir, nan: true);
        var t = Run("train", "--arch", "mlp:64-16-10:relu", "--data", x, "--labels", y, "--out", dir.File("m.safetensors"));
        AssertUsageError(t, "--data", "NaN", "[3, 5]");
        Assert.DoesNotContain("learning rate", t.Err);
        SaveUntrained(dir.File("w.safetensors"));
        var u = Run("unlearn", "--method", "neggrad", "--model", dir.File("w.safetensors"), "--data", x, "--labels", y, "--forget", "class:3", "--out", dir.File("run"));
        AssertUsageError(u, "--data", "NaN");
        Assert.DoesNotContain("learning rate", u.Err);
        Assert.Equal(["w.safetensors", "x.npy", "y.npy"], Files(dir.Root));
    }

    [Fact]
    public void Errors_name_the_flag_not_the_CSharp_property()
    {
        using var dir = new Fixture.TempDir();
        SaveUntrained(dir.File("w.safetensors"));
        var r = Run("estimate", "--model", dir.File("w.safetensors"), "--sgld-lr", "-1", "--out", dir.File("r.json"));
        AssertUsageError(r, "--sgld-lr", "-1");
        Assert.DoesNotContain("SgldOptions", r.Err);
        AssertUsageError(Run("estimate", "--model", dir.File("w.safetensors"), "--sgld-chains", "0", "--out", dir.File("r.json")), "--sgld-chains");
        AssertUsageError(Run("train", "--arch", "mlp:64-16-10:relu", "--lr", "0", "--out", dir.File("m.safetensors")), "--lr");
        AssertUsageError(Run("train", "--arch", "mlp:64-16-10:relu", "--momentum", "1.5", "--out", dir.File("m.safetensors")), "--momentum");
        AssertUsageError(Run("unlearn", "--method", "neggrad", "--model", dir.File("w.safetensors"), "--forget", "class:3", "--lr", "-0.1", "--out", dir.File("run")), "--lr");
        AssertUsageError(Run("train", "--arch", "mlp:64-16-10:relu", "--lr", "abc", "--out", dir.File("m.safetensors")), "--lr", "abc");
        Assert.Equal(["w.safetensors"], Files(dir.Root));
    }

    [Fact]
    public void Train_with_lr_10_warns_on_stderr_that_it_is_at_chance()
    {
        using var dir = new Fixture.TempDir();
        var r = Run("train", "--arch", "mlp:64-16-10:relu", "--data", "digits", "--lr", "10", "--epochs", "3", "--out", dir.File("m.safetensors"), "--quiet");
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("warning:", r.Err);
        Assert.Contains("chance", r.Err);
        Assert.Contains("--lr", r.Err);
        Assert.DoesNotContain("warning:", r.Out);
    }

    [Fact]
    public void An_empty_width_in_the_arch_is_refused()
    {
        using var dir = new Fixture.TempDir();
        AssertUsageError(Run("train", "--arch", "mlp:64--10", "--out", dir.File("m.safetensors")), "--arch", "empty width");
        Assert.Empty(Files(dir.Root));
    }

    [Fact]
    public void Erase_with_a_method_that_contradicts_the_saved_eraser_is_refused()
    {
        using var dir = new Fixture.TempDir();
        var fit = Run("erase", "--data", "synthetic", "--concept", "concept", "--out", dir.File("x2.npy"), "--save-eraser", dir.File("e.json"));
        Assert.True(fit.Code == 0, fit.ToString());
        File.Delete(dir.File("x2.npy"));
        var r = Run("erase", "--data", "synthetic", "--concept", "concept", "--method", "oracle", "--eraser", dir.File("e.json"), "--out", dir.File("x3.npy"));
        AssertUsageError(r, "--method oracle", "leace");
        Assert.Equal(["e.json"], Files(dir.Root));
    }

    [Fact]
    public void Estimate_with_a_typo_in_out_fails_at_once_and_names_the_flag()
    {
        using var dir = new Fixture.TempDir();
        SaveUntrained(dir.File("w.safetensors"));
        Directory.CreateDirectory(dir.File("results"));
        AssertUsageError(Run("estimate", "--model", dir.File("w.safetensors"), "--out", dir.File("results")), "--out", "existing folder");
        Assert.Equal(["results", "w.safetensors"], Files(dir.Root));
    }

    [Fact]
    public void A_missing_model_or_data_file_is_named_with_its_flag()
    {
        using var dir = new Fixture.TempDir();
        AssertUsageError(Run("estimate", "--model", dir.File("none.safetensors"), "--out", dir.File("r.json")), "--model", "no such file");
        SaveUntrained(dir.File("w.safetensors"));
        AssertUsageError(Run("estimate", "--model", dir.File("w.safetensors"), "--data", dir.File("none.npy"), "--labels", dir.File("y.npy"), "--out", dir.File("r.json")), "--data", "no such file");
        AssertUsageError(Run("estimate", "--model", dir.File("w.safetensors"), "--data", "digitz", "--out", dir.File("r.json")), "--data", "digits");
        Assert.Equal(["w.safetensors"], Files(dir.Root));
    }
}
