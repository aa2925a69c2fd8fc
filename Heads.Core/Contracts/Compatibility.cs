using System.Text.Json;
using Heads.Core.Models;

namespace Heads.Core.Contracts;

/// <summary>
/// What must match between machines that share one broker and one storage account: the message contracts and the
/// model format. The first machine's trainers store it (container <c>cluster</c>, <see cref="BlobName"/>); a worker that
/// joins compares it with its own before it takes any message, and every shard command carries the contract version.
/// </summary>
public sealed record HeadsCompatibility
{
    /// <summary>Raise when a message contract changes in a way an older build cannot read or act on.</summary>
    public const int ContractVersion = 1;

    public const string ContainerName = "cluster";
    public const string BlobName = "compatibility.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required int Contracts { get; init; }
    public required int ModelFormat { get; init; }
    /// <summary>The build that wrote it (assembly informational version), for the message when they differ.</summary>
    public string? Build { get; init; }

    public static HeadsCompatibility Current { get; } = new()
    {
        Contracts = ContractVersion,
        ModelFormat = ModelManifest.CurrentFormatVersion,
        Build = typeof(HeadsCompatibility).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion,
    };

    public bool CompatibleWith(HeadsCompatibility other) => Contracts == other.Contracts && ModelFormat == other.ModelFormat;

    public override string ToString() => $"message contracts v{Contracts}, model format v{ModelFormat}" + (Build is null ? "" : $" (build {Build})");

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static HeadsCompatibility Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<HeadsCompatibility>(json, Json) ?? throw new FormatException("The compatibility document is empty.");
}

/// <summary>A message from a machine whose contracts differ from this one's: not retried, faulted with the reason.</summary>
public sealed class IncompatibleMessageException(string message) : Exception(message);
