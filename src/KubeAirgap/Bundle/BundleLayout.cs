namespace KubeAirgap.Bundle;

/// <summary>
/// How Bundle lays out a bundle set (<c>[Bundle] Layout</c>). <see cref="SelfContained"/>: one tarball per node that
/// carries its payload (bin/, images/) too. <see cref="Fleet"/>: one payload tarball per <see cref="Layout.PayloadKey"/>
/// and one small tarball per node whose signed lib/layout.env and manifest.json pin that payload tarball by sha256.
/// </summary>
public enum BundleLayout
{
    SelfContained,
    Fleet,
}

public static class BundleLayouts
{
    public const string SelfContainedName = "self-contained";

    public const string FleetName = "fleet";

    public static string Name(this BundleLayout layout) => layout == BundleLayout.Fleet ? FleetName : SelfContainedName;

    /// <summary>The layout a setting names; anything else is an error naming the setting and the accepted values.</summary>
    public static BundleLayout Parse(string value, string where) => value.Trim() switch
    {
        SelfContainedName => BundleLayout.SelfContained,
        FleetName => BundleLayout.Fleet,
        _ => throw new InvalidDataException($"{where}: layout '{value}' is not known; expected {SelfContainedName} or {FleetName}"),
    };
}
