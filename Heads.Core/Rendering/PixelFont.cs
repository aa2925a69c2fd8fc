using System.Collections.Frozen;

namespace Heads.Core.Rendering;

/// <summary>
/// A 5×7 bitmap font for labels on generated pictures (there is no font library here, and labels only need to be
/// legible, not pretty): digits, upper- and lower-case Latin letters and <c>. , % : - + ( ) / = &lt; &gt; ? ' _ #</c> and space.
/// A character without a glyph is drawn as '?'. Each glyph is seven rows of five bits, bit 4 the leftmost pixel.
/// </summary>
public static class PixelFont
{
    public const int GlyphWidth = 5;
    public const int GlyphHeight = 7;

    /// <summary>Horizontal distance from one character to the next at scale 1 (the glyph and one blank column).</summary>
    public const int Advance = GlyphWidth + 1;

    private static readonly FrozenDictionary<char, byte[]> Glyphs = Parse(new Dictionary<char, string>
    {
        [' '] = ".....|.....|.....|.....|.....|.....|.....",
        ['0'] = ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
        ['1'] = "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
        ['2'] = ".###.|#...#|....#|...#.|..#..|.#...|#####",
        ['3'] = "#####|...#.|..#..|...#.|....#|#...#|.###.",
        ['4'] = "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
        ['5'] = "#####|#....|####.|....#|....#|#...#|.###.",
        ['6'] = "..##.|.#...|#....|####.|#...#|#...#|.###.",
        ['7'] = "#####|....#|...#.|..#..|.#...|.#...|.#...",
        ['8'] = ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
        ['9'] = ".###.|#...#|#...#|.####|....#|...#.|.##..",
        ['A'] = ".###.|#...#|#...#|#####|#...#|#...#|#...#",
        ['B'] = "####.|#...#|#...#|####.|#...#|#...#|####.",
        ['C'] = ".###.|#...#|#....|#....|#....|#...#|.###.",
        ['D'] = "###..|#..#.|#...#|#...#|#...#|#..#.|###..",
        ['E'] = "#####|#....|#....|####.|#....|#....|#####",
        ['F'] = "#####|#....|#....|####.|#....|#....|#....",
        ['G'] = ".###.|#...#|#....|#.###|#...#|#...#|.####",
        ['H'] = "#...#|#...#|#...#|#####|#...#|#...#|#...#",
        ['I'] = ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
        ['J'] = "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
        ['K'] = "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
        ['L'] = "#....|#....|#....|#....|#....|#....|#####",
        ['M'] = "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
        ['N'] = "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
        ['O'] = ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
        ['P'] = "####.|#...#|#...#|####.|#....|#....|#....",
        ['Q'] = ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
        ['R'] = "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
        ['S'] = ".####|#....|#....|.###.|....#|....#|####.",
        ['T'] = "#####|..#..|..#..|..#..|..#..|..#..|..#..",
        ['U'] = "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
        ['V'] = "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
        ['W'] = "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
        ['X'] = "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
        ['Y'] = "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
        ['Z'] = "#####|....#|...#.|..#..|.#...|#....|#####",
        ['a'] = ".....|.....|.###.|....#|.####|#...#|.####",
        ['b'] = "#....|#....|#.##.|##..#|#...#|#...#|####.",
        ['c'] = ".....|.....|.###.|#....|#....|#...#|.###.",
        ['d'] = "....#|....#|.##.#|#..##|#...#|#...#|.####",
        ['e'] = ".....|.....|.###.|#...#|#####|#....|.###.",
        ['f'] = "..##.|.#..#|.#...|###..|.#...|.#...|.#...",
        ['g'] = ".....|.....|.####|#...#|.####|....#|.###.",
        ['h'] = "#....|#....|#.##.|##..#|#...#|#...#|#...#",
        ['i'] = "..#..|.....|.##..|..#..|..#..|..#..|.###.",
        ['j'] = "...#.|.....|..##.|...#.|...#.|#..#.|.##..",
        ['k'] = "#....|#....|#..#.|#.#..|##...|#.#..|#..#.",
        ['l'] = ".##..|..#..|..#..|..#..|..#..|..#..|.###.",
        ['m'] = ".....|.....|##.#.|#.#.#|#.#.#|#...#|#...#",
        ['n'] = ".....|.....|#.##.|##..#|#...#|#...#|#...#",
        ['o'] = ".....|.....|.###.|#...#|#...#|#...#|.###.",
        ['p'] = ".....|.....|####.|#...#|####.|#....|#....",
        ['q'] = ".....|.....|.##.#|#..##|.####|....#|....#",
        ['r'] = ".....|.....|#.##.|##..#|#....|#....|#....",
        ['s'] = ".....|.....|.###.|#....|.###.|....#|####.",
        ['t'] = ".#...|.#...|###..|.#...|.#...|.#..#|..##.",
        ['u'] = ".....|.....|#...#|#...#|#...#|#..##|.##.#",
        ['v'] = ".....|.....|#...#|#...#|#...#|.#.#.|..#..",
        ['w'] = ".....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.",
        ['x'] = ".....|.....|#...#|.#.#.|..#..|.#.#.|#...#",
        ['y'] = ".....|.....|#...#|#...#|.####|....#|.###.",
        ['z'] = ".....|.....|#####|...#.|..#..|.#...|#####",
        ['.'] = ".....|.....|.....|.....|.....|.##..|.##..",
        [','] = ".....|.....|.....|.....|.##..|..#..|.#...",
        ['%'] = "##...|##..#|...#.|..#..|.#...|#..##|...##",
        [':'] = ".....|.##..|.##..|.....|.##..|.##..|.....",
        ['-'] = ".....|.....|.....|#####|.....|.....|.....",
        ['+'] = ".....|..#..|..#..|#####|..#..|..#..|.....",
        ['('] = "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
        [')'] = ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
        ['/'] = ".....|....#|...#.|..#..|.#...|#....|.....",
        ['='] = ".....|.....|#####|.....|#####|.....|.....",
        ['<'] = "...#.|..#..|.#...|#....|.#...|..#..|...#.",
        ['>'] = ".#...|..#..|...#.|....#|...#.|..#..|.#...",
        ['?'] = ".###.|#...#|....#|...#.|..#..|.....|..#..",
        ['\''] = "..#..|..#..|.#...|.....|.....|.....|.....",
        ['_'] = ".....|.....|.....|.....|.....|.....|#####",
        ['#'] = ".#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.",
    });

    /// <summary>Whether <paramref name="c"/> has its own glyph (otherwise it is drawn as '?').</summary>
    public static bool IsDefined(char c) => Glyphs.ContainsKey(c);

    /// <summary>The seven rows of <paramref name="c"/>'s glyph, five bits each, bit 4 the leftmost pixel.</summary>
    public static ReadOnlySpan<byte> Rows(char c) => Glyphs.TryGetValue(c, out var rows) ? rows : Glyphs['?'];

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="scale"/>, without the trailing blank column.</summary>
    public static int Measure(string text, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;
    }

    /// <summary>
    /// Draws <paramref name="text"/> into an RGB buffer with its top-left corner at (x, y); pixels outside the buffer
    /// or right of <paramref name="clipRight"/> are skipped, so a label never spills into the next tile.
    /// </summary>
    public static void Draw(Span<byte> rgb, int width, int height, string text, int x, int y, (byte R, byte G, byte B) color, int scale = 1, int clipRight = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb.Length < width * height * 3) throw new ArgumentException($"A {width}×{height} RGB buffer needs {width * height * 3} bytes; it has {rgb.Length}.", nameof(rgb));
        if (scale is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Text scale must be within 1..16.");
        int right = Math.Min(width, clipRight);
        for (int i = 0; i < text.Length; i++)
        {
            var rows = Rows(text[i]);
            int left = x + i * Advance * scale;
            if (left >= right) break;
            for (int row = 0; row < GlyphHeight; row++)
            for (int column = 0; column < GlyphWidth; column++)
            {
                if ((rows[row] & (1 << (GlyphWidth - 1 - column))) == 0) continue;
                for (int dy = 0; dy < scale; dy++)
                for (int dx = 0; dx < scale; dx++)
                {
                    int px = left + column * scale + dx, py = y + row * scale + dy;
                    if (px < 0 || py < 0 || px >= right || py >= height) continue;
                    int o = (py * width + px) * 3;
                    rgb[o] = color.R;
                    rgb[o + 1] = color.G;
                    rgb[o + 2] = color.B;
                }
            }
        }
    }

    private static FrozenDictionary<char, byte[]> Parse(Dictionary<char, string> glyphs)
    {
        var parsed = new Dictionary<char, byte[]>();
        foreach (var (c, text) in glyphs)
        {
            var rows = text.Split('|');
            if (rows.Length != GlyphHeight || rows.Any(r => r.Length != GlyphWidth)) throw new InvalidOperationException($"Glyph '{c}' is not {GlyphWidth}×{GlyphHeight}.");
            parsed[c] = rows.Select(r => (byte)r.Select((p, k) => p == '#' ? 1 << (GlyphWidth - 1 - k) : 0).Sum()).ToArray();
        }
        return parsed.ToFrozenDictionary();
    }
}
