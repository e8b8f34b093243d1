namespace Build.Settings;

/// <summary>[Paths]: where the pipeline reads and writes, relative to the working directory (see <see cref="Build.Paths"/>).</summary>
public sealed record PathsSettings(string Cache, string Artifacts, string State)
{
    public static PathsSettings From(Section s) => new(
        s.String("Cache", ".cache"),
        s.String("Artifacts", "artifacts"),
        s.String("State", "state"));
}
