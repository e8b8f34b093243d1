namespace Build.Settings;

/// <summary>[Lock]: whether Lock may compute a checksum from a download when upstream publishes none.</summary>
public sealed record LockSettings(bool Download)
{
    public static LockSettings From(Section s) => new(s.Bool("Download", false));
}
