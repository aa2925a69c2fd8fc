using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// Saving and loading through streams: safetensors weights that embed the manifest (minus its checksum) in their metadata,
/// hashed in the same pass. Loading checks kind, architecture, tensor shapes and, given a manifest, the SHA-256.
/// </summary>
internal static class ModelFile
{
    private const string ManifestKey = "heads.manifest";

    public static ModelManifest Save(Stream weights, ModelManifest manifest, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var embedded = manifest with { WeightsSha256 = "", WeightsBytes = 0 };
        using var hashing = new HashingStream(weights, writing: true);
        SafeTensors.Write(hashing, tensors, new Dictionary<string, string> { ["format"] = "pt", [ManifestKey] = embedded.ToJson() });
        hashing.Flush();
        return manifest with { WeightsSha256 = hashing.HashHex(), WeightsBytes = hashing.BytesHashed };
    }

    /// <summary>Reads a weights file; the caller owns the returned tensors.</summary>
    public static (ModelManifest Manifest, Dictionary<string, Tensor> Tensors) Load(Stream weights, ModelManifest? manifest, params ModelKind[] kinds)
    {
        ArgumentNullException.ThrowIfNull(weights);
        manifest?.ExpectKind(kinds);
        using var hashing = new HashingStream(weights, writing: false);
        var (metadata, tensors) = SafeTensors.Read(hashing);
        try
        {
            hashing.Drain();
            string hash = hashing.HashHex();
            if (manifest is not null && manifest.WeightsSha256.Length > 0 && !string.Equals(hash, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelFormatException($"Checksum mismatch: the manifest expects SHA-256 {manifest.WeightsSha256} but the weights file ({hashing.BytesHashed} bytes) hashes to {hash}. The file is corrupt or belongs to another model.");
            if (!metadata.TryGetValue(ManifestKey, out var json))
                throw new ModelFormatException($"The weights file has no '{ManifestKey}' metadata; it was not written by Heads.");
            var stored = ModelManifest.FromJson(json);
            stored.ExpectKind(kinds);
            if (manifest is not null)
            {
                if (manifest.Kind != stored.Kind || manifest.Architecture != stored.Architecture || manifest.Voxels != stored.Voxels)
                    throw new ModelFormatException($"The manifest ({manifest.Kind}, {manifest.Architecture}, voxels {manifest.Voxels}) does not describe this weights file ({stored.Kind}, {stored.Architecture}, voxels {stored.Voxels}).");
            }
            return ((manifest ?? stored) with { WeightsSha256 = hash, WeightsBytes = hashing.BytesHashed }, tensors);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The named tensor, checked against the dtype and shape the architecture needs.</summary>
    public static Tensor Expect(Dictionary<string, Tensor> tensors, string name, ScalarType type, DenseArchitecture architecture, params long[] shape)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw new ModelFormatException($"The weights file has no tensor '{name}', which a {architecture} network needs.");
        if (t.dtype != type)
            throw new ModelFormatException($"Tensor '{name}' is {t.dtype}, but {type} is expected.");
        if (!t.shape.SequenceEqual(shape))
            throw new ModelFormatException($"Tensor '{name}' has shape [{string.Join(", ", t.shape)}], but a {architecture} network needs [{string.Join(", ", shape)}].");
        return t;
    }

    public static IReadOnlyList<(string, Tensor)> DenseTensors(DenseNetwork network)
    {
        var list = new List<(string, Tensor)>();
        for (int l = 0; l < network.LayerCount; l++)
        {
            list.Add(($"layers.{l}.weight", network.Weight(l)));
            list.Add(($"layers.{l}.bias", network.Bias(l)));
        }
        return list;
    }

    public static DenseNetwork DenseNetwork(DenseArchitecture architecture, Dictionary<string, Tensor> tensors)
    {
        if (tensors.Count != architecture.LayerCount * 2)
            throw new ModelFormatException($"The weights file holds {tensors.Count} tensors, but a {architecture} network has {architecture.LayerCount * 2}.");
        var network = new DenseNetwork(architecture, 0);
        try
        {
            using var noGrad = no_grad();
            for (int l = 0; l < architecture.LayerCount; l++)
            {
                network.Weight(l).copy_(Expect(tensors, $"layers.{l}.weight", ScalarType.Float32, architecture, architecture.LayerOutputs(l), architecture.LayerInputs(l)));
                network.Bias(l).copy_(Expect(tensors, $"layers.{l}.bias", ScalarType.Float32, architecture, architecture.LayerOutputs(l)));
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
