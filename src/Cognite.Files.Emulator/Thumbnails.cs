using SkiaSharp;

namespace Cognite.Files.Emulator;

/// <summary>JPEG thumbnails for <c>GET /files/icon</c>, made with SkiaSharp.</summary>
internal static class Thumbnails
{
    /// <summary>
    /// A JPEG of <paramref name="image"/> scaled to at most <paramref name="maxSide"/> pixels on its longer side (never
    /// up); null when the bytes are not a JPEG or PNG image.
    /// </summary>
    public static byte[]? ToJpegThumbnail(byte[] image, int maxSide)
    {
        using var data = SKData.CreateCopy(image);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png))
        {
            return null;
        }

        using var bitmap = SKBitmap.Decode(codec);
        if (bitmap is null)
        {
            return null;
        }

        var scale = Math.Min(1.0, (double)maxSide / Math.Max(bitmap.Width, bitmap.Height));
        var (width, height) = (Math.Max(1, (int)Math.Round(bitmap.Width * scale)), Math.Max(1, (int)Math.Round(bitmap.Height * scale)));
        using var resized = bitmap.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)) ?? bitmap.Copy();
        using var encoded = resized.Encode(SKEncodedImageFormat.Jpeg, 85);
        return encoded?.ToArray();
    }
}
