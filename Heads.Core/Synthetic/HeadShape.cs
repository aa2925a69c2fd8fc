using System.Numerics;
using System.Runtime.CompilerServices;
using static Heads.Core.Synthetic.ShapeField;

namespace Heads.Core.Synthetic;

/// <summary>
/// The signed-distance field of one head, built from <see cref="HeadTraits"/>: an ellipsoid cranium blended with
/// mid-face, jaw and chin masses, cheekbones, brow ridges, carved eye sockets holding eyeballs, a nose of bridge,
/// tip and wings, bent lips with a mouth line, ears with a carved bowl, a neck stub, and hair as a thickness over
/// the scalp. Facial features are anchored on the surface of the coarser masses (found by marching), so they sit
/// on the face whatever its proportions.
/// </summary>
internal sealed class HeadShape
{
    /// <summary>Distances to the named parts at one point, used to paint the surface.</summary>
    public struct Parts
    {
        public float Scalp, Eyeball, UpperLip, LowerLip, MouthLine, Nose, Ear, HairMass, Neck;
        public int EyeSide;
    }

    private readonly HeadTraits _t;
    private readonly float _eyeY, _chinY, _noseBaseY, _mouthY, _browY;

    private readonly Vector3 _craniumC, _craniumInv, _craniumInv2;
    private readonly float _craniumMin;
    private readonly Vector3 _parietalC, _parietalInv, _parietalInv2;
    private readonly Vector3 _faceC, _faceInv, _faceInv2;
    private readonly Vector3 _jawC, _jawInv, _jawInv2;
    private readonly float _jawRy;
    private readonly Vector3 _chinC, _chinInv, _chinInv2;
    private readonly Vector3[] _jawLineA = new Vector3[2];
    private readonly Vector3 _jawLineAB0, _jawLineAB1;
    private readonly float _jawLineInvL2;
    private const float JawLineRadius = 0.075f;
    private readonly Vector3[] _cheekC = new Vector3[2];
    private const float CheekRadius = 0.11f;

    private readonly Vector3[] _browA = new Vector3[2], _browAB = new Vector3[2];
    private readonly float[] _browInvL2 = new float[2];
    private const float BrowRadius = 0.055f;

    private readonly Vector3[] _socketC = new Vector3[2];
    private readonly Vector3 _socketInv, _socketInv2;
    private readonly Vector3[] _eyeC = new Vector3[2];
    private readonly float _eyeR;

    private readonly Vector3 _bridgeA, _bridgeAB, _tipC, _columellaA, _columellaAB;
    private readonly float _bridgeInvL2, _columellaInvL2;
    private readonly Vector3[] _wingC = new Vector3[2];
    private const float WingRadius = 0.042f;
    private readonly Vector3 _noseBoundC;
    private readonly float _noseBoundR;

    private readonly float _mouthZ, _lipBend;
    private readonly Vector3 _upperC, _upperInv, _upperInv2, _lowerC, _lowerInv, _lowerInv2, _grooveC, _grooveInv, _grooveInv2;
    private readonly Vector3 _mouthBoundC;

    private readonly Vector3[] _earC = new Vector3[2], _earN = new Vector3[2], _earUp = new Vector3[2], _earFwd = new Vector3[2], _conchaC = new Vector3[2];
    private readonly Vector3 _earInv, _earInv2;
    private readonly float _conchaR;

    private readonly Vector3 _hairCentre;
    private readonly Vector3 _hairMassC, _hairMassInv, _hairMassInv2;
    private readonly float[] _hairKnotAz = [0f, 0.55f, 1.2f, 1.36f, 1.92f, 2.25f, MathF.PI];
    private readonly float[] _hairKnotY = new float[7];
    private readonly uint _noiseSeed;

    private readonly float _beardThickness;

    public HeadShape(HeadTraits traits)
    {
        _t = traits;
        _noiseSeed = (uint)SplitMix64.Mix(traits.Seed, 0xC0FFEE);
        _eyeY = traits.EyeHeight;
        _chinY = _eyeY - traits.FaceLength;
        _noseBaseY = _eyeY - traits.NoseLength;
        _mouthY = _noseBaseY - 0.135f * traits.FaceLength / 0.8f;
        _browY = _eyeY + 0.1f;

        _craniumC = new Vector3(0, _eyeY + 0.14f, -0.08f);
        (_craniumInv, _craniumInv2) = Inverse(new Vector3(traits.CraniumWidth, traits.CraniumHeight, traits.CraniumDepth));
        _craniumMin = MathF.Min(traits.CraniumWidth, MathF.Min(traits.CraniumHeight, traits.CraniumDepth));
        // The vault is rounder and fuller at the top and back than one ellipsoid: a flattened second one fills it.
        _parietalC = new Vector3(0, _eyeY + 0.4f, -0.14f);
        (_parietalInv, _parietalInv2) = Inverse(new Vector3(traits.CraniumWidth * 0.96f, traits.CraniumHeight * 0.6f, traits.CraniumDepth * 0.82f));
        _faceC = new Vector3(0, _eyeY - 0.14f, 0.1f);
        (_faceInv, _faceInv2) = Inverse(new Vector3(traits.FaceWidth, 0.42f, 0.56f));
        _jawRy = 0.36f;
        _jawC = new Vector3(0, _chinY + 0.34f, 0.15f);
        (_jawInv, _jawInv2) = Inverse(new Vector3(traits.JawWidth, _jawRy, 0.48f));
        _chinC = new Vector3(0, _chinY + 0.09f, 0.47f + traits.ChinProjection);
        (_chinInv, _chinInv2) = Inverse(new Vector3(traits.ChinWidth, 0.1f, 0.12f));
        // The lower border of the mandible: from each jaw angle (below the ear) to beside the chin.
        var gonionR = new Vector3(traits.JawWidth - JawLineRadius, _chinY + 0.26f, -0.01f);
        var chinR = new Vector3(traits.ChinWidth * 0.7f, _chinY + 0.06f, 0.44f + traits.ChinProjection);
        _jawLineA[0] = gonionR * new Vector3(-1, 1, 1);
        _jawLineA[1] = gonionR;
        _jawLineAB0 = chinR * new Vector3(-1, 1, 1) - _jawLineA[0];
        _jawLineAB1 = chinR - gonionR;
        _jawLineInvL2 = 1f / _jawLineAB1.LengthSquared();

        var cheekOrigin = new Vector3(0, _eyeY - 0.1f, 0.05f);
        for (int s = 0; s < 2; s++)
        {
            float sx = s == 0 ? -1f : 1f;
            var dir = Vector3.Normalize(new Vector3(sx * 0.62f, 0f, 0.78f));
            var surface = Surface(cheekOrigin, dir, Stage.Core);
            _cheekC[s] = surface - dir * (CheekRadius - 0.012f - 0.035f * traits.Cheekbones);
        }

        // Brow ridges: a capsule above each eye, sunk so that only a rounded ridge stands out.
        float browOut = 0.012f + 0.03f * traits.BrowRidge - BrowRadius;
        for (int s = 0; s < 2; s++)
        {
            float sx = s == 0 ? -1f : 1f;
            var a = SurfaceZ(sx * 0.05f, _browY - 0.005f) + new Vector3(0, 0, browOut);
            var b = SurfaceZ(sx * (traits.EyeSpacing + 0.11f), _browY + 0.012f) + new Vector3(0, 0, browOut - 0.01f);
            _browA[s] = a;
            _browAB[s] = b - a;
            _browInvL2[s] = 1f / (b - a).LengthSquared();
        }

        _eyeR = traits.EyeSize;
        (_socketInv, _socketInv2) = Inverse(new Vector3(1.55f * _eyeR, 1.1f * _eyeR, 1.2f * _eyeR));
        for (int s = 0; s < 2; s++)
        {
            float sx = s == 0 ? -1f : 1f;
            var e = SurfaceZ(sx * traits.EyeSpacing, _eyeY);
            _socketC[s] = e + new Vector3(0, 0.012f, 0.035f);
            _eyeC[s] = e + new Vector3(0, 0, -_eyeR - 0.012f);
        }

        // Nose: a tapered bridge from between the eyes to the tip, a tip ball, two wings and the columella.
        var bridgeTop = SurfaceZ(0, _eyeY + 0.02f) + new Vector3(0, 0, traits.NoseBridgeWidth * 0.4f - traits.NoseBridgeWidth);
        float tipY = _noseBaseY + 0.045f;
        _tipC = SurfaceZ(0, tipY) + new Vector3(0, 0, traits.NoseProjection - traits.NoseTipSize);
        _bridgeA = bridgeTop;
        _bridgeAB = _tipC - bridgeTop;
        _bridgeInvL2 = 1f / _bridgeAB.LengthSquared();
        for (int s = 0; s < 2; s++)
        {
            float wx = (s == 0 ? -1f : 1f) * (traits.NoseWidth - WingRadius);
            _wingC[s] = SurfaceZ(wx, _noseBaseY + 0.035f) + new Vector3(0, 0, 0.008f - WingRadius * 0.5f);
        }
        _columellaA = SurfaceZ(0, _noseBaseY + 0.01f) + new Vector3(0, 0, -0.01f);
        _columellaAB = _tipC - _columellaA;
        _columellaInvL2 = 1f / _columellaAB.LengthSquared();
        _noseBoundC = (bridgeTop + _tipC) * 0.5f;
        _noseBoundR = MathF.Max((_tipC - bridgeTop).Length() * 0.5f + traits.NoseTipSize, traits.NoseWidth + 0.02f) + 0.08f;

        // Lips follow the curve of the face: z is bent by x² so that the corners sit back on the cheeks.
        float mw = traits.MouthWidth;
        _mouthZ = SurfaceZ(0, _mouthY).Z;
        _lipBend = MathF.Max(0f, (_mouthZ - SurfaceZ(mw, _mouthY).Z) / (mw * mw));
        float lf = traits.LipFullness;
        _upperC = new Vector3(0, _mouthY + 0.024f, _mouthZ - 0.035f + lf);
        (_upperInv, _upperInv2) = Inverse(new Vector3(mw, 0.025f, 0.045f));
        _lowerC = new Vector3(0, _mouthY - 0.03f, _mouthZ - 0.04f + lf);
        (_lowerInv, _lowerInv2) = Inverse(new Vector3(mw * 0.86f, 0.034f, 0.05f));
        _grooveC = new Vector3(0, _mouthY, _mouthZ + lf + 0.012f);
        (_grooveInv, _grooveInv2) = Inverse(new Vector3(mw * 1.02f, 0.0055f, 0.05f));
        _mouthBoundC = new Vector3(0, _mouthY, _mouthZ);

        // Ears: flattened ellipsoids on the sides, turned forward by the protrusion angle, tilted back a little.
        float earY = _eyeY - 0.08f, earZ = -0.07f;
        (_earInv, _earInv2) = Inverse(new Vector3(0.026f, traits.EarSize, traits.EarSize * 0.62f));
        _conchaR = 0.5f * traits.EarSize;
        for (int s = 0; s < 2; s++)
        {
            float sx = s == 0 ? -1f : 1f;
            var side = Surface(new Vector3(0, earY, earZ), new Vector3(sx, 0, 0), Stage.Core);
            float a = traits.EarProtrusion;
            var n = new Vector3(sx * MathF.Cos(a), 0, MathF.Sin(a));
            var up = new Vector3(0, MathF.Cos(0.15f), -MathF.Sin(0.15f));
            up = Vector3.Normalize(up - Vector3.Dot(up, n) * n);
            var fwd = Vector3.UnitZ - Vector3.Dot(Vector3.UnitZ, n) * n - Vector3.Dot(Vector3.UnitZ, up) * up;
            fwd = Vector3.Normalize(fwd);
            _earN[s] = n;
            _earUp[s] = up;
            _earFwd[s] = fwd;
            _earC[s] = side + new Vector3(sx * 0.02f, 0, 0) - fwd * (0.25f * traits.EarSize * MathF.Sin(a));
            _conchaC[s] = _earC[s] + n * (_conchaR + 0.011f) + fwd * (0.15f * traits.EarSize) - up * (0.12f * traits.EarSize);
        }

        _hairCentre = new Vector3(0, _eyeY + 0.1f, -0.08f);
        float front = _eyeY + traits.HairlineHeight;
        float temple = front - 0.02f + 0.17f * traits.HairRecession;
        float earTop = earY + traits.EarSize;
        (float sideburn, float overEar, float behindEar, float nape) = traits.Hair switch
        {
            HairStyle.Medium => (_eyeY - 0.06f, earTop - 0.05f, _eyeY - 0.3f, _eyeY - 0.48f),
            HairStyle.Long => (_eyeY - 0.1f, _eyeY - 0.2f, _eyeY - 0.4f, _eyeY - 0.55f),
            HairStyle.Balding => (earTop + 0.05f, earTop + 0.025f, _eyeY - 0.16f, _eyeY - 0.36f),
            HairStyle.Curly => (_eyeY - 0.02f, earTop - 0.02f, _eyeY - 0.24f, _eyeY - 0.42f),
            _ => (_eyeY + 0.0f, earTop + 0.025f, _eyeY - 0.16f, _eyeY - 0.36f),
        };
        // A balding head keeps only the fringe from the ears round the back.
        bool balding = traits.Hair == HairStyle.Balding;
        _hairKnotY[0] = balding ? 2f : front;
        _hairKnotY[1] = balding ? 2f : temple;
        _hairKnotY[2] = balding ? 2f : sideburn;
        _hairKnotY[3] = overEar;
        _hairKnotY[4] = overEar;
        _hairKnotY[5] = behindEar;
        _hairKnotY[6] = nape;

        // Long hair falls over the ears and down to the shoulders behind the jaw.
        _hairMassC = new Vector3(0, _eyeY - 0.3f, -0.18f);
        (_hairMassInv, _hairMassInv2) = Inverse(new Vector3(traits.CraniumWidth + traits.HairVolume + 0.1f, 0.64f, 0.46f));

        _beardThickness = traits.Beard switch
        {
            BeardStyle.Full => 0.024f,
            BeardStyle.Moustache or BeardStyle.Goatee => 0.012f,
            _ => 0f,
        };
    }

    public HeadTraits Traits => _t;
    public float EyeY => _eyeY;
    public float BrowY => _browY;
    public float MouthY => _mouthY;
    public float NoseBaseY => _noseBaseY;
    public float ChinY => _chinY;
    public Vector3 EyeCentre(int side) => _eyeC[side];
    public float EyeRadius => _eyeR;
    public Vector3 CheekCentre(int side) => _cheekC[side];

    private enum Stage { Core, Skin }

    private static (Vector3 Inv, Vector3 Inv2) Inverse(Vector3 r) => (Vector3.One / r, Vector3.One / (r * r));

    /// <summary>The skin surface point in front of (x, y), found by marching along -z on the face masses.</summary>
    private Vector3 SurfaceZ(float x, float y) => Surface(new Vector3(x, y, 0f), Vector3.UnitZ, Stage.Skin);

    /// <summary>The outermost crossing of the given stage's surface on the ray from <paramref name="origin"/> along <paramref name="dir"/>.</summary>
    private Vector3 Surface(Vector3 origin, Vector3 dir, Stage stage)
    {
        float t = 1.6f, tOut = t;
        for (int i = 0; i < 200; i++)
        {
            float f = StageDistance(origin + dir * t, stage);
            if (f < 0f)
            {
                for (int b = 0; b < 30; b++)
                {
                    float mid = 0.5f * (t + tOut);
                    if (StageDistance(origin + dir * mid, stage) < 0f) t = mid; else tOut = mid;
                }
                return origin + dir * (0.5f * (t + tOut));
            }
            if (f < 1e-5f) break;
            tOut = t;
            t -= MathF.Max(f * 0.7f, 1e-5f);
            if (t <= 0f) throw new InvalidOperationException($"Head seed {_t.Seed}: no surface along {dir} from {origin}.");
        }
        return origin + dir * t;
    }

    private float StageDistance(Vector3 p, Stage stage)
    {
        float d = Core(p, withHair: false, out _);
        return stage == Stage.Core ? d : WithCheeks(p, d);
    }

    /// <summary>Cranium, mid-face, jaw and chin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float Core(Vector3 p, bool withHair, out float scalp)
    {
        scalp = SmoothMin(Ellipsoid(p - _craniumC, _craniumInv, _craniumInv2, _craniumMin),
            Ellipsoid(p - _parietalC, _parietalInv, _parietalInv2, 0.3f), 0.12f);
        // Hair is at most ~0.1 thick, so far from the scalp it cannot change the nearest surface.
        if (withHair && _t.HairVolume > 0f && MathF.Abs(scalp) < 0.15f) scalp -= HairThickness(p);
        float face = Ellipsoid(p - _faceC, _faceInv, _faceInv2, 0.42f);
        var q = p - _jawC;
        // The jaw narrows towards the chin: scaling x up below the jaw centre narrows the ellipsoid there.
        float below = Math.Clamp(-q.Y / _jawRy, 0f, 1f);
        q.X /= 1f - 0.35f * below * below;
        float jaw = Ellipsoid(q, _jawInv, _jawInv2, 0.3f);
        float chin = Ellipsoid(p - _chinC, _chinInv, _chinInv2, 0.1f);
        float d = SmoothMin(scalp, face, 0.2f);
        d = SmoothMin(d, jaw, 0.16f);
        d = SmoothMin(d, chin, 0.1f);
        d = SmoothMin(d, TaperedCapsule(p, _jawLineA[0], _jawLineAB0, _jawLineInvL2, JawLineRadius * 0.7f, JawLineRadius), 0.12f);
        return SmoothMin(d, TaperedCapsule(p, _jawLineA[1], _jawLineAB1, _jawLineInvL2, JawLineRadius * 0.7f, JawLineRadius), 0.12f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float WithCheeks(Vector3 p, float d)
    {
        for (int s = 0; s < 2; s++)
            d = SmoothMin(d, (p - _cheekC[s]).Length() - CheekRadius, 0.12f);
        return d;
    }

    /// <summary>The full head's signed distance (negative inside).</summary>
    public float Distance(Vector3 p) => Field(p, out _);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Field(Vector3 p, out Parts parts)
    {
        parts = default;
        float d = WithCheeks(p, Core(p, withHair: true, out parts.Scalp));

        // Neck: a vertical cylinder from inside the head down to a flat cut, widening towards the shoulders.
        var nq = new Vector2(p.X, p.Z + 0.1f);
        float neckR = _t.NeckWidth + 0.06f * SmoothStep(-0.75f, -1.02f, p.Y);
        float neck = MathF.Max(nq.Length() - neckR, p.Y - (_eyeY - 0.3f));
        neck = SmoothMax(neck, -1.02f - p.Y, 0.07f);
        parts.Neck = neck;
        d = SmoothMin(d, neck, 0.14f);

        if (_t.Hair == HairStyle.Long)
        {
            float hm = Ellipsoid(p - _hairMassC, _hairMassInv, _hairMassInv2, 0.4f);
            hm = SmoothMax(hm, -0.92f - p.Y, 0.05f);
            hm = SmoothMax(hm, p.Z - 0.02f, 0.08f);
            parts.HairMass = hm;
            d = SmoothMin(d, hm, 0.06f);
        }
        else
        {
            parts.HairMass = float.MaxValue;
        }

        // Face features only near the front; the bound keeps their cost off the back of the head.
        parts.Eyeball = parts.UpperLip = parts.LowerLip = parts.MouthLine = parts.Nose = parts.Ear = float.MaxValue;
        if (p.Z > 0.2f && p.Y > _noseBaseY - 0.3f)
        {
            for (int s = 0; s < 2; s++)
                d = SmoothMin(d, TaperedCapsule(p, _browA[s], _browAB[s], _browInvL2[s], BrowRadius, BrowRadius * 0.8f), 0.08f);
            for (int s = 0; s < 2; s++)
            {
                float socket = Ellipsoid(p - _socketC[s], _socketInv, _socketInv2, _eyeR);
                d = SmoothMax(d, -socket, 0.05f);
            }
            for (int s = 0; s < 2; s++)
            {
                float eye = (p - _eyeC[s]).Length() - _eyeR;
                if (eye < parts.Eyeball) { parts.Eyeball = eye; parts.EyeSide = s; }
                d = SmoothMin(d, eye, 0.015f);
            }
        }

        if ((p - _noseBoundC).LengthSquared() < _noseBoundR * _noseBoundR)
        {
            float nose = TaperedCapsule(p, _bridgeA, _bridgeAB, _bridgeInvL2, _t.NoseBridgeWidth, _t.NoseTipSize * 0.8f);
            nose = SmoothMin(nose, (p - _tipC).Length() - _t.NoseTipSize, 0.04f);
            nose = SmoothMin(nose, TaperedCapsule(p, _columellaA, _columellaAB, _columellaInvL2, 0.022f, 0.03f), 0.03f);
            for (int s = 0; s < 2; s++)
                nose = SmoothMin(nose, (p - _wingC[s]).Length() - WingRadius, 0.04f);
            parts.Nose = nose;
            d = SmoothMin(d, nose, 0.035f);
        }

        var mq = p - _mouthBoundC;
        if (MathF.Abs(mq.X) < _t.MouthWidth + 0.1f && MathF.Abs(mq.Y) < 0.16f && mq.Z > -0.2f)
        {
            var lp = new Vector3(p.X, p.Y, p.Z + _lipBend * p.X * p.X);
            float upper = Ellipsoid(lp - _upperC, _upperInv, _upperInv2, 0.03f);
            float lower = Ellipsoid(lp - _lowerC, _lowerInv, _lowerInv2, 0.034f);
            float groove = Ellipsoid(lp - _grooveC, _grooveInv, _grooveInv2, 0.0055f);
            parts.UpperLip = upper;
            parts.LowerLip = lower;
            parts.MouthLine = groove;
            d = SmoothMin(d, upper, 0.025f);
            d = SmoothMin(d, lower, 0.025f);
            d = SmoothMax(d, -groove, 0.01f);
        }

        if (MathF.Abs(p.X) > 0.3f && p.Y > _eyeY - 0.45f && p.Y < _eyeY + 0.3f)
        {
            int s = p.X < 0 ? 0 : 1;
            var q = p - _earC[s];
            var local = new Vector3(Vector3.Dot(q, _earN[s]), Vector3.Dot(q, _earUp[s]), Vector3.Dot(q, _earFwd[s]));
            float ear = Ellipsoid(local, _earInv, _earInv2, 0.026f);
            ear = SmoothMax(ear, -((p - _conchaC[s]).Length() - _conchaR), 0.015f);
            parts.Ear = ear;
            d = SmoothMin(d, ear, 0.04f);
        }

        // Beard and brow hair only thicken the skin; far from it they cannot move the surface.
        if (MathF.Abs(d) < 0.08f)
        {
            if (_beardThickness > 0f) d -= _beardThickness * BeardWeight(p);
            d -= 0.005f * BrowHairWeight(p);
        }
        return d;
    }

    /// <summary>Where the hair's lower edge lies at azimuth <paramref name="az"/> (0 = front, π = back).</summary>
    private float HairlineY(float az)
    {
        for (int i = 1; i < _hairKnotAz.Length; i++)
        {
            if (az <= _hairKnotAz[i])
            {
                float u = (az - _hairKnotAz[i - 1]) / (_hairKnotAz[i] - _hairKnotAz[i - 1]);
                u = u * u * (3 - 2 * u);
                return _hairKnotY[i - 1] + (_hairKnotY[i] - _hairKnotY[i - 1]) * u;
            }
        }
        return _hairKnotY[^1];
    }

    /// <summary>0..1: how much of the point is covered by scalp hair.</summary>
    public float HairCoverage(Vector3 p)
    {
        if (_t.Hair == HairStyle.Bald) return 0f;
        var q = p - _hairCentre;
        float az = MathF.Abs(MathF.Atan2(q.X, q.Z));
        float m = SmoothStep(-0.02f, 0.02f, p.Y - HairlineY(az));
        if (_t.Hair == HairStyle.Balding)
        {
            float len = MathF.Max(q.Length(), 1e-6f);
            m *= 1f - SmoothStep(0.35f, 0.5f, q.Y / len + 0.25f * q.Z / len);
        }
        return m;
    }

    /// <summary>Hair thickness added over the scalp: full a little above the hairline, with strands or curls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float HairThickness(Vector3 p)
    {
        var q = p - _hairCentre;
        float az = MathF.Abs(MathF.Atan2(q.X, q.Z));
        float edge = HairlineY(az);
        float m = SmoothStep(-0.02f, 0.14f, p.Y - edge);
        if (m <= 0f) return 0f;
        if (_t.Hair == HairStyle.Balding)
        {
            float len = MathF.Max(q.Length(), 1e-6f);
            m *= 1f - SmoothStep(0.35f, 0.5f, q.Y / len + 0.25f * q.Z / len);
        }
        float thickness = _t.HairVolume * m;
        if (_t.Hair == HairStyle.Curly)
            thickness += 0.014f * m * ValueNoise(p * 22f, _noiseSeed);
        else if (_t.Hair is HairStyle.Short or HairStyle.Medium or HairStyle.Long)
            thickness += 0.004f * m * MathF.Sin(MathF.Atan2(q.X, q.Z) * 48f + 9f * q.Y);
        return thickness;
    }

    /// <summary>0..1: facial hair coverage for the head's beard style.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float BeardWeight(Vector3 p)
    {
        if (_t.Beard == BeardStyle.None || p.Z < -0.3f) return 0f;
        float ax = MathF.Abs(p.X);
        float mw = _t.MouthWidth;
        // Lips stay bare.
        float ex = p.X / (mw + 0.012f), ey = (p.Y - _mouthY) / 0.05f;
        float bare = SmoothStep(0.8f, 1.3f, ex * ex + ey * ey);
        // Moustache: a band between the upper lip and the nose, drooping a little at the mouth corners.
        float top = _noseBaseY - 0.012f - 0.12f * ax;
        float moustache = SmoothStep(mw + 0.04f, mw + 0.01f, ax)
            * SmoothStep(_mouthY + 0.015f - 0.25f * ax, _mouthY + 0.035f - 0.25f * ax, p.Y) * SmoothStep(top + 0.01f, top - 0.012f, p.Y)
            * SmoothStep(0.3f, 0.4f, p.Z);
        switch (_t.Beard)
        {
            case BeardStyle.Moustache:
                return moustache * bare;
            case BeardStyle.Goatee:
                float gx = p.X / 0.15f, gy = (p.Y - 0.5f * (_mouthY + _chinY) + 0.02f) / (0.5f * (_mouthY - _chinY) + 0.04f);
                float goatee = SmoothStep(1.1f, 0.8f, gx * gx + gy * gy) * SmoothStep(0.2f, 0.3f, p.Z);
                return MathF.Max(moustache, goatee) * bare;
            default:
                float ragged = 0.015f * ValueNoise(p * 30f, _noiseSeed + 5);
                float cheekLine = _noseBaseY - 0.04f + 0.55f * MathF.Max(ax - 0.16f, 0f) + ragged;
                float below = SmoothStep(0.03f, -0.03f, p.Y - cheekLine);
                // The beard's lower edge runs from under the chin up to the jaw angle, and it stops before the ear.
                float front = SmoothStep(-0.06f, 0.02f, p.Z);
                float lowest = _chinY - 0.2f + 0.55f * MathF.Max(0f, 0.38f - p.Z);
                float neck = SmoothStep(lowest - 0.04f, lowest + 0.04f, p.Y);
                return MathF.Max(below * front * neck, moustache) * bare;
        }
    }

    /// <summary>0..1: eyebrow coverage, arched above each eye.</summary>
    public float BrowHairWeight(Vector3 p)
    {
        if (p.Z < 0.35f) return 0f;
        float ax = MathF.Abs(p.X);
        float inner = _t.EyeSpacing - 0.1f;
        float u = (ax - inner) / 0.22f;
        if (u < -0.1f || u > 1.1f) return 0f;
        float arch = (0.026f - 0.01f * _t.Masculinity) * MathF.Sin(MathF.PI * Math.Clamp(u * 0.85f, 0f, 1f));
        float centre = _browY - 0.005f + arch - 0.01f * u;
        float half = (0.02f - 0.009f * u) * (0.8f + 0.4f * _t.Masculinity);
        return SmoothStep(half, half * 0.55f, MathF.Abs(p.Y - centre)) * SmoothStep(-0.08f, 0.03f, u) * SmoothStep(1.08f, 0.95f, u);
    }
}
