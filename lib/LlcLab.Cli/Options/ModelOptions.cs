using System.CommandLine;
using System.Security.Cryptography;
using LlcLab.IO;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Cli.Options;

/// <summary>A model loaded from <c>--model</c>: the network, the file's SHA-256 (a run's identity) and its metadata
/// (the spec, and the data choice when <c>llclab train</c> wrote it).</summary>
public sealed record ModelFile(string Path, string Sha256, IReadOnlyDictionary<string, string> Metadata, Network Net) : IDisposable
{
    public void Dispose() => Net.Dispose();
}

/// <summary>
/// <c>--model FILE</c> (every verb that reads a model) and <c>--arch SPEC</c>, needed only for files without
/// <c>llclab.spec</c> metadata (e.g. a PyTorch state dict). Every model file llclab writes — <c>train</c>'s output and
/// checkpoints, <c>unlearn</c>'s checkpoints — carries the spec, so it loads back in every verb without <c>--arch</c>.
/// </summary>
public sealed class ModelOptions
{
    public readonly Option<string> Model = new("--model")
    {
        Description = "Model file (.safetensors) from llclab train/unlearn, or a PyTorch nn.Sequential state dict (then give --arch).",
        Required = true,
    };
    public readonly Option<string?> Arch = new("--arch") { Description = "Model spec (mlp:64-128-10:relu, dln:5-3-5, …); only for files without llclab.spec metadata." };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Arch);
    }

    /// <summary>The path and metadata, checked, without building the network (so data flags can default from it).</summary>
    public (string Path, IReadOnlyDictionary<string, string> Metadata, string Spec) Inspect(ParseResult r)
    {
        var path = r.GetValue(Model)!;
        if (!File.Exists(path))
            throw new ArgumentException($"--model {path}: no such file ('{System.IO.Path.GetFullPath(path)}'). Train one with `llclab train --out {path}`.");
        Dictionary<string, string> meta;
        try { meta = SafeTensors.ReadMetadata(path); }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or System.Text.Json.JsonException)
        {
            throw new ArgumentException($"--model {path} is not a readable safetensors file: {e.Message}");
        }
        var arch = r.GetValue(Arch);
        meta.TryGetValue(Network.SpecMetadataKey, out var stored);
        if (arch is not null) _ = ParseSpec(arch);
        if (stored is not null && arch is not null && ModelSpec.Parse(stored).Text != ModelSpec.Parse(arch).Text)
            throw new ArgumentException($"--arch {arch} contradicts the spec stored in --model {path} ({stored}); drop --arch (the file's spec is used).");
        var spec = stored ?? arch ?? throw new ArgumentException(
            $"--model {path} has no '{Network.SpecMetadataKey}' metadata (it was not written by llclab, e.g. a PyTorch state dict); give its spec with --arch, e.g. --arch mlp:64-128-10:relu.");
        return (path, meta, spec);
    }

    /// <summary>Builds the network on <paramref name="device"/> and hashes the file.</summary>
    public static ModelFile Load(string path, IReadOnlyDictionary<string, string> meta, string spec, Device device)
    {
        Network net;
        try { net = Network.Load(spec, path, device); }
        catch (ArgumentException e) { throw new ArgumentException($"--model {path}: {e.Message}", e); }
        return new ModelFile(System.IO.Path.GetFullPath(path), Sha256(path), meta, net);
    }

    /// <summary>Parses a spec, naming <c>--arch</c> in the error.</summary>
    public static ModelSpec ParseSpec(string spec)
    {
        try { return ModelSpec.Parse(spec); }
        catch (ArgumentException e) { throw new ArgumentException($"--arch: {e.Message}", e); }
    }

    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
