using System.Globalization;
using Cake.Core.Configuration;
using KubeAirgap.Diagnostics;

namespace Build.Settings;

/// <summary>
/// One cake.config section as Cake reads it: <c>[Section] Key=value</c>, overridden by the environment
/// (<c>CAKE_SECTION_KEY</c>) and the command line (<c>--section_key=value</c>). A key that is absent (or empty) takes
/// the default its settings class names; a value that does not parse is an error naming the section, the key, the
/// value and what was expected, never a silent default.
/// </summary>
public sealed class Section(ICakeConfiguration configuration, string name)
{
    public string Name => name;

    /// <summary>Where a key can be set, for error messages: <c>[Fetch] Retries (cake.config, CAKE_FETCH_RETRIES, --fetch_retries)</c>.</summary>
    public string Where(string key) =>
        $"[{name}] {key} (cake.config, CAKE_{name.ToUpperInvariant()}_{key.ToUpperInvariant()}, --{name.ToLowerInvariant()}_{key.ToLowerInvariant()})";

    /// <summary>The value as given, trimmed, or null when the key is absent or empty.</summary>
    public string? Raw(string key)
    {
        var value = configuration.GetValue($"{name}_{key}");
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public string String(string key, string fallback) => Raw(key) ?? fallback;

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public int Int(string key, int fallback, int min = 0, int max = int.MaxValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return fallback;
        }

        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Bad(key, raw, max == int.MaxValue ? $"a whole number >= {min}" : $"a whole number from {min} to {max}");
    }

    /// <summary>true/yes/1 or false/no/0 (any case).</summary>
    public bool Bool(string key, bool fallback)
    {
        var raw = Raw(key);
        return raw?.ToLowerInvariant() switch
        {
            null => fallback,
            "true" or "yes" or "1" => true,
            "false" or "no" or "0" => false,
            _ => throw Bad(key, raw, "true or false"),
        };
    }

    /// <summary>One of <paramref name="choices"/> (any case).</summary>
    public T Choice<T>(string key, T fallback, IReadOnlyDictionary<string, T> choices)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return fallback;
        }

        return choices.FirstOrDefault(c => string.Equals(c.Key, raw, StringComparison.OrdinalIgnoreCase)) is { Key: not null } hit
            ? hit.Value
            : throw Bad(key, raw, "one of " + string.Join(", ", choices.Keys));
    }

    /// <summary>A comma-separated list of whole numbers >= 1.</summary>
    public IReadOnlyList<int> Ints(string key, string fallback)
    {
        var raw = Raw(key) ?? fallback;
        var parts = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 1 ? v : (int?)null).ToList();
        return values.Count > 0 && values.All(v => v is not null)
            ? values.Select(v => v!.Value).ToList()
            : throw Bad(key, raw, "a comma-separated list of whole numbers >= 1, e.g. 3,50");
    }

    /// <summary>The error for a value of <paramref name="key"/> that does not parse.</summary>
    public InputException Bad(string key, string value, string expected) =>
        new($"{Where(key)}: '{value}' is not valid: expected {expected}");
}
