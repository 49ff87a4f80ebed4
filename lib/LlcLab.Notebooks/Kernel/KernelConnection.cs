using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace LlcLab.Notebooks.Kernel;

/// <summary>
/// One running <c>dotnet-interactive stdio</c> process and the wire protocol to it: each command
/// goes as one JSON command envelope per line on stdin; the kernel answers with event envelopes
/// per line on stdout (serialised and parsed by Microsoft.DotNet.Interactive's
/// <see cref="KernelCommandEnvelope"/>/<see cref="KernelEventEnvelope"/>, so this speaks exactly
/// the protocol of the pinned kernel). A submission ends with <see cref="CommandSucceeded"/> or
/// <see cref="CommandFailed"/> carrying its token.
/// <para>Running out of process is what makes a per-cell timeout real: on timeout the whole
/// process tree is killed (<see cref="Kill"/>), which stops the cell's code for certain.</para>
/// </summary>
public sealed class KernelConnection : IDisposable
{
    readonly Process process;
    readonly Channel<KernelEvent> events = Channel.CreateUnbounded<KernelEvent>();
    readonly ConcurrentQueue<string> stderrTail = new();
    readonly Task reader;
    readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int submissions;

    KernelConnection(Process process)
    {
        this.process = process;
        reader = Task.Run(ReadLoop);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            stderrTail.Enqueue(e.Data);
            while (stderrTail.Count > 40) stderrTail.TryDequeue(out string? _);
        };
        process.BeginErrorReadLine();
    }

    /// <summary>The kernel's process id.</summary>
    public int ProcessId => process.Id;

    /// <summary>Whether the kernel process has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>The last lines the kernel wrote to standard error (for failure reports).</summary>
    public string StandardErrorTail => string.Join("\n", stderrTail);

    /// <summary>Starts the kernel and waits for its <c>KernelReady</c> event.</summary>
    public static async Task<KernelConnection> StartAsync(KernelLauncher launcher, string notebookFolder,
        IReadOnlyDictionary<string, string>? environment, TimeSpan startTimeout, CancellationToken cancellationToken = default)
    {
        var psi = launcher.StartInfo(notebookFolder, environment);
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start the kernel ({launcher.Description}): {e.Message}. Run 'dotnet tool restore' in the repository.", e);
        }
        var k = new KernelConnection(p);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout);
        try { await k.ready.Task.WaitAsync(timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            string tail = k.StandardErrorTail;
            k.Kill();
            throw new InvalidOperationException(
                $"The kernel ({launcher.Description}) did not become ready within {startTimeout.TotalSeconds:0}s" +
                (tail.Length > 0 ? $": {tail}" : ".") + " Check 'dotnet tool restore' and 'dotnet tool run dotnet-interactive -- --version'.", e);
        }
        return k;
    }

    /// <summary>
    /// Submits <paramref name="code"/> to the C# kernel and collects every event of that submission
    /// until it succeeds or fails. <paramref name="onEvent"/> sees each event as it arrives.
    /// </summary>
    /// <exception cref="TimeoutException">The cell ran longer than <paramref name="timeout"/>; the kernel has been killed.</exception>
    /// <exception cref="KernelExitedException">The kernel process ended during the submission.</exception>
    public async Task<SubmissionResult> SubmitAsync(string code, TimeSpan? timeout, Action<KernelEvent>? onEvent = null, CancellationToken cancellationToken = default)
    {
        var command = new SubmitCode(code, "csharp");
        string token = $"llclab-{Interlocked.Increment(ref submissions)}";
        command.SetToken(token);
        await process.StandardInput.WriteLineAsync(KernelCommandEnvelope.Serialize(command)).ConfigureAwait(false);
        await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);

        var collected = new List<KernelEvent>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) limit.CancelAfter(t);
        try
        {
            while (true)
            {
                KernelEvent e;
                try { e = await events.Reader.ReadAsync(limit.Token).ConfigureAwait(false); }
                catch (ChannelClosedException)
                {
                    throw new KernelExitedException($"The kernel process exited during the cell (exit code {SafeExitCode()})." +
                        (StandardErrorTail.Length > 0 ? " Its last words: " + StandardErrorTail : ""));
                }
                // Events of this submission carry its token, or a child token "token.n" (e.g. #r nuget restores).
                string? eventToken = e.Command?.GetOrCreateToken();
                bool ours = eventToken is not null && (eventToken == token || eventToken.StartsWith(token + ".", StringComparison.Ordinal));
                if (!ours) continue;
                collected.Add(e);
                onEvent?.Invoke(e);
                bool root = eventToken == token;
                if (root && e is CommandSucceeded) return new SubmissionResult(collected, null);
                if (root && e is CommandFailed f) return new SubmissionResult(collected, f);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
            throw new TimeoutException($"The cell did not finish within {timeout!.Value.TotalSeconds:0.#}s; the kernel (pid {process.Id}) was killed.");
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }
    }

    async Task ReadLoop()
    {
        try
        {
            while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0 || line[0] != '{') continue; // anything but an envelope (e.g. a banner)
                IKernelEventEnvelope envelope;
                try { envelope = KernelEventEnvelope.Deserialize(line); }
                catch (Exception) { continue; } // a command envelope sent back, or an event type this client does not know
                if (envelope.Event is KernelReady) { ready.TrySetResult(); continue; }
                events.Writer.TryWrite(envelope.Event);
            }
        }
        finally
        {
            events.Writer.TryComplete();
            ready.TrySetException(new InvalidOperationException("The kernel's output ended before it was ready."));
        }
    }

    int? SafeExitCode()
    {
        try { return process.HasExited ? process.ExitCode : null; }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>Kills the kernel and everything it started.</summary>
    public void Kill()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    /// <summary>
    /// Ends the kernel: kills the whole process tree while its root (<c>dotnet tool run</c>) is still alive. Closing
    /// stdin first would let the root exit and orphan the kernel process it started, which then lives on.
    /// </summary>
    public void Dispose()
    {
        Kill();
        try { process.StandardInput.Close(); } catch (IOException) { }
        process.WaitForExit(5000);
        try { reader.Wait(2000); } catch (AggregateException) { }
        process.Dispose();
    }
}

/// <summary>The events of one submission and, when it failed, the failure.</summary>
public sealed record SubmissionResult(IReadOnlyList<KernelEvent> Events, CommandFailed? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>The kernel process ended while a cell was running.</summary>
public sealed class KernelExitedException(string message) : Exception(message);
