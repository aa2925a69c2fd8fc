namespace Heads.Core.Training;

/// <summary>
/// Exact nearest-neighbour queries over a point cloud, bucketed in a uniform grid. Head surfaces put a few points in
/// each occupied cell, so a query near the cloud scans a few dozen candidates instead of every point (a full distance
/// matrix of two 8,192-point heads is 67 M entries; this is ~0.3 M). Queries far from the cloud fall back to a scan.
/// </summary>
internal sealed class PointGrid
{
    /// <summary>Shells searched before a full scan is cheaper (a far query would visit most cells).</summary>
    private const int MaxShell = 3;
    private readonly float[] _xyz;
    private readonly float _minX, _minY, _minZ, _inverseCell, _cell;
    private readonly int _nx, _ny, _nz;
    private readonly int[] _cellStart;
    private readonly int[] _order;

    public PointGrid(float[] xyz)
    {
        ArgumentNullException.ThrowIfNull(xyz);
        if (xyz.Length == 0 || xyz.Length % 3 != 0) throw new ArgumentException($"A grid needs a positive number of x, y, z triples; got {xyz.Length} floats.", nameof(xyz));
        _xyz = xyz;
        int n = xyz.Length / 3;
        float maxX = float.MinValue, maxY = float.MinValue, maxZ = float.MinValue;
        _minX = _minY = _minZ = float.MaxValue;
        for (int i = 0; i < n; i++)
        {
            float x = xyz[i * 3], y = xyz[i * 3 + 1], z = xyz[i * 3 + 2];
            if (!float.IsFinite(x) || !float.IsFinite(y) || !float.IsFinite(z)) throw new ArgumentException($"Point {i} is not finite.", nameof(xyz));
            _minX = Math.Min(_minX, x); _minY = Math.Min(_minY, y); _minZ = Math.Min(_minZ, z);
            maxX = Math.Max(maxX, x); maxY = Math.Max(maxY, y); maxZ = Math.Max(maxZ, z);
        }
        float extent = Math.Max(maxX - _minX, Math.Max(maxY - _minY, maxZ - _minZ));
        // A surface of extent L over cells of size h occupies ~6 (L/h)² cells: aim at ~3 points per occupied cell.
        _cell = extent > 0 ? extent * MathF.Sqrt(18f / n) : 1f;
        _cell = Math.Max(_cell, extent / 128);
        if (!(_cell > 0)) _cell = 1f;
        _inverseCell = 1 / _cell;
        _nx = Cells(maxX - _minX); _ny = Cells(maxY - _minY); _nz = Cells(maxZ - _minZ);
        _cellStart = new int[_nx * _ny * _nz + 1];
        var cellOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            cellOf[i] = Index(Coordinate(xyz[i * 3], _minX, _nx), Coordinate(xyz[i * 3 + 1], _minY, _ny), Coordinate(xyz[i * 3 + 2], _minZ, _nz));
            _cellStart[cellOf[i] + 1]++;
        }
        for (int c = 0; c < _cellStart.Length - 1; c++) _cellStart[c + 1] += _cellStart[c];
        _order = new int[n];
        var fill = (int[])_cellStart.Clone();
        for (int i = 0; i < n; i++) _order[fill[cellOf[i]]++] = i;
    }

    public int Count => _order.Length;

    /// <summary>The nearest point to (x, y, z): its index and squared distance (lowest index on ties is not guaranteed).</summary>
    public (int Index, float SquaredDistance) Nearest(float x, float y, float z)
    {
        int cx = Coordinate(x, _minX, _nx), cy = Coordinate(y, _minY, _ny), cz = Coordinate(z, _minZ, _nz);
        int best = -1;
        float bestD = float.PositiveInfinity;
        for (int r = 0; r <= MaxShell; r++)
        {
            for (int k = Math.Max(0, cz - r); k <= Math.Min(_nz - 1, cz + r); k++)
            for (int j = Math.Max(0, cy - r); j <= Math.Min(_ny - 1, cy + r); j++)
            {
                bool inner = Math.Abs(k - cz) < r && Math.Abs(j - cy) < r;
                for (int i = Math.Max(0, cx - r); i <= Math.Min(_nx - 1, cx + r); i++)
                {
                    // Only the shell at Chebyshev distance r: the inside was searched already.
                    if (inner && Math.Abs(i - cx) < r) { i = cx + r - 1; continue; }
                    int c = Index(i, j, k);
                    for (int p = _cellStart[c]; p < _cellStart[c + 1]; p++) Consider(_order[p], x, y, z, ref best, ref bestD);
                }
            }
            // Every point not yet seen lies in a cell at least r whole cells away from the query's (clamped) cell.
            float reach = r * _cell;
            if (best >= 0 && bestD <= reach * reach) return (best, bestD);
            if (r >= _nx && r >= _ny && r >= _nz) return (best, bestD);
        }
        for (int p = 0; p < Count; p++) Consider(p, x, y, z, ref best, ref bestD);
        return (best, bestD);
    }

    private void Consider(int p, float x, float y, float z, ref int best, ref float bestD)
    {
        float dx = _xyz[p * 3] - x, dy = _xyz[p * 3 + 1] - y, dz = _xyz[p * 3 + 2] - z;
        float d = dx * dx + dy * dy + dz * dz;
        if (d < bestD)
        {
            bestD = d;
            best = p;
        }
    }

    private int Cells(float span) => Math.Clamp((int)(span * _inverseCell) + 1, 1, 256);

    private int Coordinate(float v, float min, int cells)
    {
        float c = (v - min) * _inverseCell;
        return c <= 0 || float.IsNaN(c) ? 0 : c >= cells - 1 ? cells - 1 : (int)c;
    }

    private int Index(int i, int j, int k) => (k * _ny + j) * _nx + i;
}
