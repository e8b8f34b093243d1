namespace Build.Settings;

/// <summary>[Registries]: registry mirrors, plain-HTTP hosts, falling back to the upstream registry, pulls at once.</summary>
public sealed record RegistriesSettings(string Mirrors, string Insecure, bool FallBackToUpstream, int Parallelism)
{
    public static RegistriesSettings From(Section s) => new(
        s.String("Mirrors", string.Empty),
        s.String("Insecure", string.Empty),
        s.Bool("FallBackToUpstream", true),
        s.Int("Parallelism", 4, min: 1));
}
