using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Core.Synthetic;

/// <summary>How much hair a head has and how it is worn.</summary>
public enum HairStyle
{
    Bald,
    Balding,
    Buzz,
    Short,
    Medium,
    Long,
    Curly,
}

/// <summary>Facial hair.</summary>
public enum BeardStyle
{
    None,
    Stubble,
    Moustache,
    Goatee,
    Full,
}

/// <summary>
/// Every parameter of one synthetic head, drawn from a seed within plausible human ranges.
/// Lengths are in head units before <see cref="Scale"/>: y up, face toward +z, eyes near y = 0.
/// Traits are correlated through <see cref="Masculinity"/> (jaw, brow, nose, hair, beard) and
/// <see cref="Age"/> (hairline, grey hair), as faces are, so the heads read as people rather than noise.
/// </summary>
public sealed record HeadTraits
{
    public ulong Seed { get; init; }
    /// <summary>0 = feminine, 1 = masculine; drives the correlated traits.</summary>
    public float Masculinity { get; init; }
    /// <summary>0 = young, 1 = old; drives the hairline and grey hair.</summary>
    public float Age { get; init; }
    /// <summary>-1 = lean .. 1 = full: widens the face, jaw and neck together and softens the cheekbones.</summary>
    public float Fullness { get; init; }
    /// <summary>Uniform scale of the whole head.</summary>
    public float Scale { get; init; }

    public float CraniumWidth { get; init; }
    public float CraniumHeight { get; init; }
    public float CraniumDepth { get; init; }
    /// <summary>Distance from the eye line down to the chin.</summary>
    public float FaceLength { get; init; }
    /// <summary>Half width of the mid-face (cheek mass).</summary>
    public float FaceWidth { get; init; }
    /// <summary>Half width of the jaw at the jaw angles.</summary>
    public float JawWidth { get; init; }
    public float ChinWidth { get; init; }
    public float ChinProjection { get; init; }
    /// <summary>0..1: how far the cheekbones stand out.</summary>
    public float Cheekbones { get; init; }
    /// <summary>0..1: how far the brow ridge stands out.</summary>
    public float BrowRidge { get; init; }

    /// <summary>Half the distance between the eye centres.</summary>
    public float EyeSpacing { get; init; }
    /// <summary>Eyeball radius; the eye opening scales with it.</summary>
    public float EyeSize { get; init; }
    public float EyeHeight { get; init; }
    /// <summary>Rise of the outer eye corner relative to the inner one.</summary>
    public float EyeTilt { get; init; }

    /// <summary>Vertical length from the bridge to the nose base.</summary>
    public float NoseLength { get; init; }
    /// <summary>Half width across the nostril wings.</summary>
    public float NoseWidth { get; init; }
    /// <summary>How far the nose tip stands out of the face.</summary>
    public float NoseProjection { get; init; }
    public float NoseTipSize { get; init; }
    public float NoseBridgeWidth { get; init; }

    /// <summary>Half width of the mouth.</summary>
    public float MouthWidth { get; init; }
    public float LipFullness { get; init; }

    /// <summary>Half height of an ear.</summary>
    public float EarSize { get; init; }
    /// <summary>Angle in radians by which the ears stand away from the head.</summary>
    public float EarProtrusion { get; init; }
    public float NeckWidth { get; init; }

    public HairStyle Hair { get; init; }
    /// <summary>Height of the front hairline above the eye line.</summary>
    public float HairlineHeight { get; init; }
    /// <summary>0..1: receding temples.</summary>
    public float HairRecession { get; init; }
    /// <summary>Thickness of the hair over the scalp.</summary>
    public float HairVolume { get; init; }
    public BeardStyle Beard { get; init; }

    /// <summary>0 = very light .. 1 = very dark skin.</summary>
    public float SkinTone { get; init; }
    public Rgb24 SkinColor { get; init; }
    public Rgb24 LipColor { get; init; }
    public Rgb24 HairColor { get; init; }
    public Rgb24 EyeColor { get; init; }
    public string HairColorName { get; init; } = "";
    public string EyeColorName { get; init; } = "";

    private static readonly (float At, Rgb24 Color)[] SkinRamp =
    [
        (0.00f, new Rgb24(240, 200, 172)),
        (0.18f, new Rgb24(232, 190, 160)),
        (0.36f, new Rgb24(222, 170, 128)),
        (0.54f, new Rgb24(194, 136, 94)),
        (0.72f, new Rgb24(150, 96, 62)),
        (0.88f, new Rgb24(105, 66, 44)),
        (1.00f, new Rgb24(72, 46, 32)),
    ];

    private static readonly (string Name, Rgb24 Color)[] HairColors =
    [
        ("black", new Rgb24(22, 18, 16)),
        ("dark brown", new Rgb24(52, 34, 24)),
        ("brown", new Rgb24(96, 62, 36)),
        ("light brown", new Rgb24(140, 100, 62)),
        ("blond", new Rgb24(206, 170, 106)),
        ("auburn", new Rgb24(140, 60, 30)),
        ("ginger", new Rgb24(186, 92, 40)),
    ];

    private static readonly (string Name, Rgb24 Color)[] EyeColors =
    [
        ("dark brown", new Rgb24(58, 34, 20)),
        ("brown", new Rgb24(96, 58, 30)),
        ("hazel", new Rgb24(120, 96, 50)),
        ("green", new Rgb24(70, 110, 70)),
        ("blue", new Rgb24(70, 110, 170)),
        ("grey", new Rgb24(110, 124, 136)),
    ];

    /// <summary>Draws every trait from <paramref name="seed"/>; the same seed always gives the same traits.</summary>
    public static HeadTraits FromSeed(ulong seed)
    {
        var r = new SplitMix64(SplitMix64.Mix(seed, 0x4EAD));
        float m = r.NextFloat() < 0.5f ? r.Range(0.0f, 0.45f) : r.Range(0.55f, 1.0f);
        float age = r.NextFloat() * r.NextFloat() + 0.1f * r.NextFloat(); // mostly young, some old
        float V(float mean, float spread) => mean + spread * r.Gaussian() / 1.7320508f;
        float Mix(float fem, float masc, float spread) => V(fem + (masc - fem) * m, spread);

        float full = Math.Clamp(r.Gaussian() / 1.7320508f, -1f, 1f);
        float skinTone = Math.Clamp(r.NextFloat() < 0.35f ? r.Range(0.5f, 1f) : r.Range(0f, 0.6f), 0f, 1f);
        var skin = Tint(Ramp(skinTone), r.Range(-0.02f, 0.06f), r.Range(0.95f, 1.05f));
        var lip = Blend(Darken(skin, 0.82f), new Rgb24(170, 70, 78), skinTone > 0.6f ? 0.18f : 0.36f + 0.12f * (1 - m));

        // Hair colour follows skin tone loosely (dark skin: mostly black/dark brown), greys with age.
        int hairIndex = skinTone > 0.55f
            ? (r.NextFloat() < 0.8f ? 0 : 1)
            : r.NextFloat() switch { < 0.2f => 0, < 0.42f => 1, < 0.62f => 2, < 0.76f => 3, < 0.9f => 4, < 0.95f => 5, _ => 6 };
        var (hairName, hair) = HairColors[hairIndex];
        float grey = Math.Clamp((age - 0.45f) * 1.8f, 0f, 1f) * r.Range(0.5f, 1f);
        if (grey > 0.35f) hairName = grey > 0.7f ? "grey" : hairName + " greying";
        hair = Blend(hair, new Rgb24(172, 170, 166), grey);

        int eyeIndex = skinTone > 0.5f
            ? (r.NextFloat() < 0.75f ? 0 : 1)
            : r.NextFloat() switch { < 0.25f => 0, < 0.45f => 1, < 0.58f => 2, < 0.7f => 3, < 0.92f => 4, _ => 5 };
        var (eyeName, eye) = EyeColors[eyeIndex];

        HairStyle style;
        float u = r.NextFloat();
        if (m > 0.5f)
        {
            float baldness = age * 0.9f;
            style = u < baldness * 0.25f ? HairStyle.Bald
                : u < baldness * 0.6f ? HairStyle.Balding
                : u < 0.45f ? HairStyle.Short
                : u < 0.65f ? HairStyle.Buzz
                : u < 0.85f ? HairStyle.Medium
                : u < 0.93f ? HairStyle.Curly
                : HairStyle.Long;
        }
        else
        {
            style = u < 0.5f ? HairStyle.Long : u < 0.72f ? HairStyle.Medium : u < 0.88f ? HairStyle.Curly : HairStyle.Short;
        }

        BeardStyle beard = BeardStyle.None;
        if (m > 0.55f)
        {
            float b = r.NextFloat();
            beard = b < 0.5f ? BeardStyle.None : b < 0.68f ? BeardStyle.Stubble : b < 0.78f ? BeardStyle.Moustache : b < 0.87f ? BeardStyle.Goatee : BeardStyle.Full;
        }

        float volume = style switch
        {
            HairStyle.Bald => 0f,
            HairStyle.Buzz => r.Range(0.008f, 0.016f),
            HairStyle.Balding => r.Range(0.012f, 0.03f),
            HairStyle.Short => r.Range(0.025f, 0.05f),
            HairStyle.Medium => r.Range(0.04f, 0.07f),
            HairStyle.Long => r.Range(0.04f, 0.07f),
            _ => r.Range(0.06f, 0.085f),
        };

        return new HeadTraits
        {
            Seed = seed,
            Masculinity = m,
            Age = age,
            Fullness = full,
            Scale = Mix(0.93f, 0.98f, 0.02f),
            CraniumWidth = Mix(0.55f, 0.575f, 0.02f),
            CraniumHeight = Mix(0.715f, 0.735f, 0.022f),
            CraniumDepth = Mix(0.73f, 0.76f, 0.025f),
            FaceLength = Mix(0.76f, 0.84f, 0.045f),
            FaceWidth = Mix(0.43f, 0.45f, 0.02f) + 0.03f * full,
            JawWidth = Mix(0.33f, 0.42f, 0.03f) + 0.03f * full,
            ChinWidth = Mix(0.11f, 0.16f, 0.025f),
            ChinProjection = Mix(0.0f, 0.035f, 0.02f),
            Cheekbones = Math.Clamp(V(0.5f - 0.2f * full, 0.25f), 0f, 1f),
            BrowRidge = Math.Clamp(Mix(0.15f, 0.7f, 0.25f), 0f, 1f),
            EyeSpacing = V(0.225f, 0.014f),
            EyeSize = Mix(0.098f, 0.09f, 0.006f),
            EyeHeight = V(0.02f, 0.02f),
            EyeTilt = V(0.012f, 0.012f),
            NoseLength = Mix(0.27f, 0.31f, 0.03f),
            NoseWidth = V(0.095f + 0.025f * skinTone, 0.012f),
            NoseProjection = Mix(0.11f, 0.15f, 0.025f),
            NoseTipSize = Mix(0.05f, 0.058f, 0.007f),
            NoseBridgeWidth = Mix(0.032f, 0.04f, 0.006f),
            MouthWidth = V(0.175f, 0.016f),
            LipFullness = Math.Clamp(V(0.03f - 0.008f * m + 0.01f * skinTone, 0.007f), 0.012f, 0.05f),
            EarSize = Mix(0.2f, 0.225f, 0.014f),
            EarProtrusion = Math.Clamp(V(0.42f, 0.14f), 0.1f, 0.75f),
            NeckWidth = Mix(0.25f, 0.31f, 0.015f) + 0.025f * full,
            Hair = style,
            HairlineHeight = V(0.5f, 0.04f) + 0.06f * age,
            HairRecession = Math.Clamp(m * age * 1.6f + V(0f, 0.12f), 0f, 1f),
            HairVolume = volume,
            Beard = beard,
            SkinTone = skinTone,
            SkinColor = skin,
            LipColor = lip,
            HairColor = hair,
            EyeColor = eye,
            HairColorName = hairName,
            EyeColorName = eyeName,
        };
    }

    /// <summary>A one-line caption for galleries and logs.</summary>
    public string Describe() =>
        $"seed {Seed}: {(Masculinity >= 0.5f ? "masculine" : "feminine")}, skin {SkinTone:0.00}, {Hair.ToString().ToLowerInvariant()} {HairColorName} hair, " +
        $"{EyeColorName} eyes, beard {Beard.ToString().ToLowerInvariant()}, jaw {JawWidth:0.000}, nose {NoseLength:0.000}/{NoseWidth:0.000}";

    private static Rgb24 Ramp(float t)
    {
        for (int i = 1; i < SkinRamp.Length; i++)
        {
            if (t <= SkinRamp[i].At)
            {
                var (a, ca) = SkinRamp[i - 1];
                var (b, cb) = SkinRamp[i];
                return Blend(ca, cb, (t - a) / (b - a));
            }
        }
        return SkinRamp[^1].Color;
    }

    /// <summary>Shifts warmth (red up, blue down for positive <paramref name="warmth"/>) and brightness.</summary>
    private static Rgb24 Tint(Rgb24 c, float warmth, float brightness) => new(
        ToByte(c.R * (1 + warmth) * brightness),
        ToByte(c.G * brightness),
        ToByte(c.B * (1 - warmth) * brightness));

    internal static Rgb24 Blend(Rgb24 a, Rgb24 b, float t) => new(
        ToByte(a.R + (b.R - a.R) * t),
        ToByte(a.G + (b.G - a.G) * t),
        ToByte(a.B + (b.B - a.B) * t));

    internal static Rgb24 Darken(Rgb24 c, float s) => new(ToByte(c.R * s), ToByte(c.G * s), ToByte(c.B * s));

    internal static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v), 0, 255);
}
