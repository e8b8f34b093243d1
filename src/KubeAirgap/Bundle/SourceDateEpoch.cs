using System.Globalization;

namespace KubeAirgap.Bundle;

/// <summary>The one timestamp every tar entry carries: SOURCE_DATE_EPOCH when set, else [Bundle] SourceDateEpoch.</summary>
public static class SourceDateEpoch
{
    public static long Resolve(string? environment, string configured)
    {
        if (!string.IsNullOrWhiteSpace(environment))
        {
            return Parse(environment, "SOURCE_DATE_EPOCH (environment)");
        }

        return Parse(configured, "[Bundle] SourceDateEpoch (cake.config)");
    }

    private static long Parse(string value, string where) =>
        long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 0x1FFFFFFFFL
            ? seconds
            : throw new FormatException($"{where}: '{value}' is not a number of seconds since 1970 (expected e.g. 1767225600)");
}
