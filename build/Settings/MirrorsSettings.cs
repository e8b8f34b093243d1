using KubeAirgap.Fetch;

namespace Build.Settings;

/// <summary>[Mirrors]: internal file mirrors tried before upstream ("prefix -> mirror-base", comma-separated).</summary>
public sealed record MirrorsSettings(string Map, bool Upstream)
{
    public static MirrorsSettings From(Section s) => new(s.String("Map", string.Empty), s.Bool("Upstream", true));

    public MirrorMap ToMap() => MirrorMap.Parse(Map, Upstream);
}
