using System.Numerics;
using System.Runtime.CompilerServices;
using SixLabors.ImageSharp.PixelFormats;
using static Heads.Core.Synthetic.ShapeField;

namespace Heads.Core.Synthetic;

/// <summary>
/// Vertex colours of a head: skin with a little blush and texture, eyes (white, iris, pupil, lash line) where the
/// eyeball shows through the lids, redder lips with a dark mouth line, darker nostrils, eyebrows, scalp and facial
/// hair, and ambient occlusion baked in so that sockets, the mouth and the ears read in a flat photograph.
/// </summary>
internal static class HeadPainter
{
    private static readonly Vector3 White = new(226, 222, 214);
    private static readonly Vector3 Pupil = new(14, 11, 11);
    private static readonly Vector3 Lash = new(26, 20, 19);

    public static Vector3 ToVector(Rgb24 c) => new(c.R, c.G, c.B);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector3 Paint(HeadShape shape, Vector3 p, Vector3 normal, in HeadShape.Parts parts, float occlusion)
    {
        var t = shape.Traits;
        var skin = ToVector(t.SkinColor);
        var hair = ToVector(t.HairColor);
        var c = skin * (1f + 0.035f * ValueNoise(p * 38f, (uint)t.Seed));

        // Blush on the cheeks, nose tip and ears: warmer and a little darker.
        var flush = skin * new Vector3(1.0f, 0.82f, 0.8f);
        float blush = 0f;
        for (int s = 0; s < 2; s++)
            blush += 0.35f * MathF.Exp(-(p - shape.CheekCentre(s)).LengthSquared() / 0.012f);
        if (parts.Nose < 0.01f) blush += 0.25f * SmoothStep(shape.NoseBaseY + 0.12f, shape.NoseBaseY + 0.04f, p.Y);
        if (parts.Ear < 0.01f) blush += 0.35f;
        c = Vector3.Lerp(c, flush, Math.Clamp(blush, 0f, 1f));

        // Nostrils: the underside of the nose between the wings.
        if (parts.Nose < 0.012f && normal.Y < -0.3f && p.Y < shape.NoseBaseY + 0.05f)
        {
            float ax = MathF.Abs(p.X);
            float hole = SmoothStep(-0.3f, -0.75f, normal.Y) * SmoothStep(0.012f, 0.025f, ax) * SmoothStep(t.NoseWidth - 0.005f, t.NoseWidth - 0.03f, ax);
            c = Vector3.Lerp(c, skin * 0.3f, hole);
        }

        // Lips and the mouth line.
        float lip = MathF.Min(parts.UpperLip, parts.LowerLip);
        if (lip < 0.012f) c = Vector3.Lerp(c, ToVector(t.LipColor), SmoothStep(0.01f, 0.0f, lip));
        if (parts.MouthLine < 0.01f) c = Vector3.Lerp(c, ToVector(t.LipColor) * 0.3f, SmoothStep(0.008f, 0.001f, parts.MouthLine));

        // Facial hair: full colour for beards, a dark shadow for stubble.
        float beard = shape.BeardWeight(p);
        if (beard > 0f)
        {
            if (t.Beard == BeardStyle.Stubble)
                c = Vector3.Lerp(c, Vector3.Lerp(skin, hair, 0.5f) * 0.72f, 0.5f * beard);
            else
                c = Vector3.Lerp(c, hair * (0.85f + 0.2f * ValueNoise(p * 70f, (uint)t.Seed + 7)), 0.92f * beard);
        }

        // Eyebrows: darker than scalp hair when that is fair, so they show on light skin.
        float brow = shape.BrowHairWeight(p);
        if (brow > 0f)
        {
            var browColor = Vector3.Lerp(hair, new Vector3(45, 33, 26), 0.35f) * (0.85f + 0.25f * ValueNoise(p * 90f, (uint)t.Seed + 3));
            c = Vector3.Lerp(c, browColor, 0.9f * brow);
        }

        // Scalp hair, with strands along the fall of the hair; ears stay bare unless long hair covers them.
        float cover = parts.Ear < 0.008f && t.Hair != HairStyle.Long ? 0f : shape.HairCoverage(p);
        if (t.Hair == HairStyle.Long && parts.Ear < 0.008f) cover = 1f;
        if (parts.HairMass < 0.01f) cover = MathF.Max(cover, SmoothStep(0.01f, 0.0f, parts.HairMass));
        if (parts.Eyeball < 0.01f || parts.Nose < 0.01f) cover = 0f;
        if (cover > 0f)
        {
            var strands = hair * (0.8f + 0.35f * ValueNoise(new Vector3(p.X * 60f, p.Y * 9f, p.Z * 60f), (uint)t.Seed + 11));
            float opacity = t.Hair switch
            {
                HairStyle.Buzz => 0.7f,
                HairStyle.Balding => 0.8f,
                _ => 1f,
            };
            c = Vector3.Lerp(c, strands, cover * opacity);
        }

        // Eyes: the eyeball shows inside an almond between the lids; elsewhere it is eyelid skin.
        if (parts.Eyeball < 0.006f) c = PaintEye(shape, p, parts.EyeSide, c);

        return c * (1f - 0.65f * (1f - occlusion));
    }

    private static Vector3 PaintEye(HeadShape shape, Vector3 p, int side, Vector3 lid)
    {
        var t = shape.Traits;
        var centre = shape.EyeCentre(side);
        float r = shape.EyeRadius;
        float sx = side == 0 ? -1f : 1f;
        float dx = p.X - centre.X, dy = p.Y - centre.Y;
        float u = sx * dx / (0.95f * r);
        if (MathF.Abs(u) >= 1f) return lid * 0.9f;
        float v = dy - t.EyeTilt * u;
        float shape01 = MathF.Pow(1f - u * u, 0.55f);
        // The upper lid's apex sits a little inward of the centre, as in real eyes.
        float upper = 0.41f * r * shape01 * (1f - 0.12f * u);
        float lower = -0.3f * r * shape01;
        if (v > upper)
            return v < upper + 0.16f * r ? Lash : lid * 0.86f;
        if (v < lower)
            return v > lower - 0.05f * r ? lid * 0.7f : lid * 0.9f;

        float radial = MathF.Sqrt(dx * dx + dy * dy);
        float iris = 0.44f * r, pupil = 0.17f * r;
        Vector3 c;
        if (radial < pupil) c = Pupil;
        else if (radial < iris)
        {
            var ic = ToVector(t.EyeColor);
            c = Vector3.Lerp(ic * 1.1f, ic * 0.5f, SmoothStep(0.55f * iris, iris, radial));
        }
        else c = White * (0.9f + 0.1f * SmoothStep(1f, 0.4f, MathF.Abs(u)));
        // A shadow under the upper lid gives the eye depth.
        return c * (1f - 0.3f * SmoothStep(upper - 0.18f * r, upper, v));
    }
}
