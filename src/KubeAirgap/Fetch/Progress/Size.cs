using System.Globalization;

namespace KubeAirgap.Fetch.Progress;

/// <summary>A byte count as people read it (B, KiB, MiB, GiB; "size unknown" for null): the one formatter of sizes in
/// logs and reports.</summary>
public static class Size
{
    public static string Format(long? bytes) => bytes switch
    {
        null => "size unknown",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };
}
