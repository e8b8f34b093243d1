using NuGet.Versioning;

namespace KubeAirgap.Render.Versions;

/// <summary>The upstream components whose version changes what gets rendered.</summary>
public enum Versioned
{
    Kubernetes,
    Etcd,
    Containerd,
}

/// <summary>
/// One version-dependent difference: a command-line flag added to a unit, or a named setting, that applies when
/// the component's pinned version is inside <see cref="Range"/> (NuGet interval syntax, e.g. <c>[3.4,3.6)</c>).
/// </summary>
/// <param name="Component">Whose version decides.</param>
/// <param name="Key">For a flag: the unit it goes to (<c>etcd</c>); for a setting: its name (<c>containerd.configTemplate</c>).</param>
/// <param name="Range">Where the row applies.</param>
/// <param name="Value">The flag text (<c>--logger=zap</c>) or the setting's value.</param>
/// <param name="Why">The upstream fact behind the row (release note, changelog, reference install).</param>
public sealed record VersionRule(Versioned Component, string Key, string Range, string Value, string Why)
{
    public VersionRange ParsedRange { get; } = VersionRange.Parse(Range);

    public bool AppliesTo(NuGetVersion version) => ParsedRange.Satisfies(version);
}
