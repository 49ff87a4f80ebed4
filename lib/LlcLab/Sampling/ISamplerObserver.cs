namespace LlcLab.Sampling;

/// <summary>One kept draw of one chain: the minibatch loss L_B(w_t) and its LLC contribution nβ·(L_B(w_t) − L(w*)).</summary>
public sealed record SamplerDraw(int Chain, int Draw, long Step, double Loss, double Llc);

/// <summary>
/// Callback that sees every draw (progress bars, live plots, custom statistics). To keep the hot loop free of host
/// synchronisation, draws are delivered in blocks every <see cref="SgldOptions.CheckInterval"/> steps, in draw order.
/// </summary>
public interface ISamplerObserver
{
    /// <summary>Sampling starts: <paramref name="chains"/> chains of <paramref name="totalSteps"/> steps each,
    /// run together (vectorised) or one after another.</summary>
    void OnStart(int chains, int draws, long totalSteps, bool vectorized) { }

    /// <summary>One kept draw.</summary>
    void OnDraw(SamplerDraw draw);

    /// <summary>Steps completed so far (summed over chains when sequential).</summary>
    void OnProgress(long stepsDone, long stepsTotal) { }

    /// <summary>Sampling finished (successfully or not).</summary>
    void OnFinish() { }
}

/// <summary>Writes a one-line progress indicator (percent, steps) to a text writer, at most every 5%.</summary>
public sealed class ProgressObserver(TextWriter writer, string label = "LLC") : ISamplerObserver
{
    int lastPercent = -1;

    public void OnDraw(SamplerDraw draw) { }

    public void OnProgress(long stepsDone, long stepsTotal)
    {
        int pct = stepsTotal == 0 ? 100 : (int)(100 * stepsDone / stepsTotal);
        if (pct / 5 == lastPercent / 5 && pct != 100) return;
        if (pct == lastPercent) return;
        lastPercent = pct;
        writer.Write($"\r{label}: {pct,3}% ({stepsDone:N0}/{stepsTotal:N0} steps)");
        if (pct == 100) writer.WriteLine();
        writer.Flush();
    }
}
