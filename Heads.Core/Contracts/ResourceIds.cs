namespace Heads.Core.Contracts;

/// <summary>
/// Ids of heads and datasets become parts of blob names, so they are short lowercase tokens (a-z, 0-9, '-', not
/// starting with '-'); anything else is refused before it reaches storage.
/// </summary>
public static class ResourceIds
{
    public const int MaxLength = 64;

    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= MaxLength } && id[0] != '-' && id.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');

    public static string Validate(string? id, string what) => IsValid(id)
        ? id!
        : throw new ArgumentException($"'{id}' is not a valid {what}: use 1–{MaxLength} characters of a-z, 0-9 and '-', not starting with '-'.");
}
