using System.Globalization;

namespace Heads.Core.Models;

/// <summary>
/// What a user types as a HeadsNet seed, read the same way by the inference service and the CLI. A number in [0, 1) is
/// the original's seed input (rounded to float32, and never up to 1; −0 is 0); a whole number N from 1 to 2⁶⁴−1, written
/// in digits, is frac(N·φ⁻¹) in 64-bit fixed point, so every N gives its own seed (in double arithmetic every N ≥ 2⁵³
/// would give 0). Anything else — other whole-number spellings beyond 2⁵³, thousands separators, hex, NaN, lists — is refused.
/// </summary>
public static class HeadsNetSeed
{
    /// <summary>φ⁻¹ · 2⁶⁴, the golden-ratio increment.</summary>
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private const double TwoTo53 = 9007199254740992.0;
    private static readonly float BelowOne = MathF.BitDecrement(1f);

    public const string Rule = "a number in [0, 1) or a whole number from 1 to 18446744073709551615";

    /// <summary>Reads <paramref name="text"/>; false with the reason when it is not a seed.</summary>
    public static bool TryParse(string? text, out float seed, out string error)
    {
        seed = 0;
        error = "";
        var s = text?.Trim() ?? "";
        if (s.Length == 0) { error = $"seed is empty; give {Rule}."; return false; }
        if (s.All(char.IsAsciiDigit))
        {
            if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var whole))
            {
                error = $"seed must be {Rule}; '{Shorten(s)}' is too large.";
                return false;
            }
            seed = whole == 0 ? 0f : OfWhole(whole);
            return true;
        }
        if (!double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value))
        {
            error = $"seed must be {Rule}; it was '{Shorten(s)}'.";
            return false;
        }
        return TryFromNumber(value, out seed, out error);
    }

    /// <summary>A seed given as a number (the CLI's option): fractions in [0, 1), whole numbers from 1 to 2⁵³.</summary>
    public static bool TryFromNumber(double value, out float seed, out string error)
    {
        seed = 0;
        error = "";
        if (!double.IsFinite(value) || value < 0 || (value >= 1 && value != Math.Floor(value)))
        {
            error = $"seed must be {Rule}; it was {value.ToString("R", CultureInfo.InvariantCulture)}.";
            return false;
        }
        if (value >= 1)
        {
            if (value > TwoTo53)
            {
                error = $"seed {value.ToString("R", CultureInfo.InvariantCulture)} is beyond 2⁵³, where whole numbers are not exact in this notation: write it in digits.";
                return false;
            }
            seed = OfWhole((ulong)value);
            return true;
        }
        // −0 is 0, and a fraction that rounds up to 1 in float32 stays below it.
        seed = value == 0 ? 0f : MathF.Min((float)value, BelowOne);
        return true;
    }

    /// <summary>frac(N·φ⁻¹): consecutive numbers spread evenly over [0, 1).</summary>
    public static float OfWhole(ulong whole) => MathF.Min((float)(unchecked(whole * Golden) * (1.0 / 18446744073709551616.0)), BelowOne);

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
