using System.Buffers.Binary;
using System.Globalization;

namespace HubHost.Cli.Inputs;

/// <summary>
/// The size of an image read from its header, before anything is decoded, so <c>--image</c> refuses a picture too
/// large to decode (a 1.2 MB PNG of 20000×20000 pixels took 41.6 s and 14.7 GB to decode) and says clearly what is
/// wrong with an empty or unknown file. Reads PNG (IHDR), JPEG (the SOFn segment), GIF (logical screen), BMP
/// (BITMAPINFOHEADER or the OS/2 core header) and WebP (VP8, VP8L, VP8X).
/// </summary>
internal static class ImageHeader
{
    /// <summary>
    /// The most pixels <c>--image</c> decodes: Pillow's <c>Image.MAX_IMAGE_PIXELS</c> (1024 × 1024 × 1024 / 4 / 3), the
    /// limit torchvision users meet through PIL. Decoding and preprocessing take about 37 bytes per pixel here, so
    /// this bounds a run to about 3.3 GB; a 48-megapixel photo (8000×6000) is well inside it.
    /// </summary>
    public const long MaxPixels = 89_478_485;

    /// <summary>Refuses an image that does not exist, is empty, not one of the formats read, cut short, or larger than <see cref="MaxPixels"/>.</summary>
    public static void Check(string path)
    {
        if (!File.Exists(path)) throw new HubException($"The image '{path}' does not exist; give a PNG, JPEG, BMP, GIF or WebP file.");
        byte[] head;
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length == 0) throw new HubException($"The image {path} is empty (0 bytes). Give a PNG, JPEG, BMP, GIF or WebP file.");
            head = new byte[(int)Math.Min(stream.Length, 1 << 20)];
            stream.ReadExactly(head);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot read the image {path}: {e.Message}", e);
        }
        var (format, size) = Read(head);
        if (format is null)
            throw new HubException($"The image {path} is not a PNG, JPEG, BMP, GIF or WebP file (its first bytes are none of theirs). Give one of those, or the preprocessed tensor as --input X.npy.");
        if (size is not var (width, height))
            throw new HubException($"The image {path} looks like {format} but its header is cut short or damaged, so its size is unknown. Give a complete {format} file.");
        if (width <= 0 || height <= 0)
            throw new HubException($"The image {path} is {format} of {width}×{height} pixels: it has no pixels. Give a picture.");
        var pixels = width * height;
        if (pixels > MaxPixels)
            throw new HubException($"The image {path} is {width}×{height} ({pixels.ToString("N0", CultureInfo.InvariantCulture)} pixels); --image decodes at most " +
                                   $"{MaxPixels.ToString("N0", CultureInfo.InvariantCulture)} pixels (Pillow's limit). Shrink it first (the model sees 224×224), or give the preprocessed tensor as --input X.npy.");
    }

    /// <summary>The format a header belongs to (null: none of the five) and the size it declares (null: cut short).</summary>
    internal static (string? Format, (long Width, long Height)? Size) Read(ReadOnlySpan<byte> b)
    {
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return ("PNG", b.Length >= 24 && b[12..16].SequenceEqual("IHDR"u8)
                ? (BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]))
                : null);
        if (b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8))
            return ("GIF", b.Length >= 10 ? (BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..])) : null);
        if (b.StartsWith("BM"u8))
            return ("BMP", Bmp(b));
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
            return ("JPEG", Jpeg(b));
        if (b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8))
            return ("WebP", WebP(b));
        return (null, null);
    }

    private static (long, long)? Bmp(ReadOnlySpan<byte> b)
    {
        if (b.Length < 18) return null;
        var header = BinaryPrimitives.ReadUInt32LittleEndian(b[14..]);
        if (header == 12) // OS/2 BITMAPCOREHEADER: 16-bit sizes
            return b.Length >= 22 ? (BinaryPrimitives.ReadUInt16LittleEndian(b[18..]), BinaryPrimitives.ReadUInt16LittleEndian(b[20..])) : null;
        if (b.Length < 26) return null;
        // BITMAPINFOHEADER and later: a negative height is a top-down bitmap.
        return (BinaryPrimitives.ReadInt32LittleEndian(b[18..]), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..])));
    }

    private static (long, long)? Jpeg(ReadOnlySpan<byte> b)
    {
        var i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF) return null;
            var marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; }                                // fill bytes
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; } // markers without a length
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            // SOF0-SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return i + 9 <= b.Length ? (BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..])) : null;
            if (marker == 0xDA || length < 2) return null; // image data before any frame header
            i += 2 + length;
        }
        return null;
    }

    private static (long, long)? WebP(ReadOnlySpan<byte> b)
    {
        if (b.Length < 30) return null;
        var chunk = b[12..16];
        if (chunk.SequenceEqual("VP8X"u8))
            return (1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16)));
        if (chunk.SequenceEqual("VP8L"u8))
        {
            if (b[20] != 0x2F) return null;
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(b[21..]);
            return (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF));
        }
        if (chunk.SequenceEqual("VP8 "u8))
        {
            if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) return null;
            return (BinaryPrimitives.ReadUInt16LittleEndian(b[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(b[28..]) & 0x3FFF);
        }
        return null;
    }
}
