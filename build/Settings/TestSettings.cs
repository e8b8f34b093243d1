namespace Build.Settings;

/// <summary>[Test]: settings only the test harnesses (E2E, Demo) set.</summary>
public sealed record TestSettings(bool RelaxSupportedVersions)
{
    public static TestSettings From(Section s) => new(s.Bool("RelaxSupportedVersions", false));
}
