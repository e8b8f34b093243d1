using KubeAirgap.Diagnostics;
using NuGet.Versioning;

namespace KubeAirgap.Render.Versions;

/// <summary>The version table evaluated for one release: the flags each unit gets and the settings in force.</summary>
public sealed class ResolvedVersions
{
    private readonly Dictionary<string, string> _settings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _flags = new(StringComparer.Ordinal);

    public ResolvedVersions(IReadOnlyDictionary<Versioned, string> versions, IReadOnlyList<VersionRule>? flags = null, IReadOnlyList<VersionRule>? settings = null)
    {
        Versions = versions.ToDictionary(p => p.Key, p => Parse(p.Key, p.Value));
        foreach (var rule in flags ?? VersionTable.Flags)
        {
            if (Versions.TryGetValue(rule.Component, out var v) && rule.AppliesTo(v))
            {
                if (!_flags.TryGetValue(rule.Key, out var list))
                {
                    _flags[rule.Key] = list = [];
                }

                list.Add(rule.Value);
            }
        }

        foreach (var rule in settings ?? VersionTable.Settings)
        {
            if (Versions.TryGetValue(rule.Component, out var v) && rule.AppliesTo(v))
            {
                _settings[rule.Key] = rule.Value;
            }
        }
    }

    public IReadOnlyDictionary<Versioned, NuGetVersion> Versions { get; }

    public IReadOnlyList<string> FlagsFor(string unit) => _flags.TryGetValue(unit, out var list) ? list : [];

    public bool Has(string key) => _settings.ContainsKey(key);

    /// <summary>A setting that must exist for the pinned version; its absence means the version is not supported.</summary>
    public string Setting(string key) =>
        _settings.TryGetValue(key, out var value)
            ? value
            : throw new InputException($"no row of the version table (src/KubeAirgap/Render/Versions/VersionTable.cs) sets '{key}' for "
                + string.Join(", ", Versions.Select(p => $"{p.Key} {p.Value}")) + ": that version is not supported");

    public string? Optional(string key) => _settings.GetValueOrDefault(key);

    private static NuGetVersion Parse(Versioned component, string text) =>
        NuGetVersion.TryParse(text.TrimStart('v'), out var version)
            ? version
            : throw new InputException($"{component} version '{text}' is not a version number");
}
