using LlcLab.IO;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Models;

public sealed partial class Network
{
    /// <summary>safetensors metadata key holding the model spec string.</summary>
    public const string SpecMetadataKey = "llclab.spec";

    internal Dictionary<string, string> FileMetadata(params (string Key, string Value)[] extra)
    {
        var m = new Dictionary<string, string> { ["format"] = "pt", [SpecMetadataKey] = Spec.Text };
        foreach (var (k, v) in extra) m[$"llclab.{k}"] = v;
        return m;
    }

    /// <summary>Writes the parameters as a safetensors file with PyTorch state-dict names (loadable with
    /// <c>safetensors.torch.load_file</c> + <c>model.load_state_dict</c>); the spec goes in the metadata.
    /// Fixed affine maps (<see cref="WithFixedAffine"/>) are not parameters and are not saved: save the eraser
    /// itself and re-apply it after loading.</summary>
    public void Save(string path) =>
        SafeTensors.Write(path, StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()), FileMetadata());

    /// <summary>Builds <paramref name="spec"/> and loads its parameters from a safetensors file (e.g. one saved by PyTorch).</summary>
    public static Network Load(string spec, string path, Device? device = null)
    {
        var tensors = SafeTensors.Read(path);
        var net = Create(spec, 0, device);
        try { net.LoadStateDict(tensors); }
        catch (ArgumentException e) { net.Dispose(); throw new ArgumentException($"'{path}' does not fit model '{spec}': {e.Message}", e); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
        return net;
    }

    /// <summary>Loads a file written by <see cref="Save"/>: the spec is read from its metadata.</summary>
    public static Network Load(string path)
    {
        var meta = SafeTensors.ReadMetadata(path);
        if (!meta.TryGetValue(SpecMetadataKey, out var spec))
            throw new InvalidDataException($"'{path}' has no '{SpecMetadataKey}' metadata (it was not saved by LlcLab); call Network.Load(spec, path) with the model spec.");
        return Load(spec, path, Devices.Default);
    }
}
