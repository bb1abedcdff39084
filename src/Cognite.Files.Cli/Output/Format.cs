using System.Globalization;

namespace Cognite.Files.Cli.Output;

/// <summary>Human formatting of sizes, rates and durations (invariant culture, binary units).</summary>
internal static class Format
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>A rate in the units of <see cref="Bytes"/>: <c>800.0 KiB/s</c>, <c>50.0 MiB/s</c>.</summary>
    public static string BytesPerSecond(long bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    public static double MiBPerSecond(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds <= 0 ? 0 : bytes / 1048576.0 / elapsed.TotalSeconds;

    public static string Rate(long bytes, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{MiBPerSecond(bytes, elapsed):0.0} MiB/s");

    public static string Rate(double bytesPerSecond) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / 1048576.0:0.0} MiB/s");

    public static string Duration(TimeSpan elapsed) =>
        elapsed.TotalSeconds < 60
            ? string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)elapsed.TotalMinutes} min {elapsed.Seconds} s");

    public static string Time(long? epochMilliseconds) =>
        epochMilliseconds is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "-";
}
