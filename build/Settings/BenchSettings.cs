namespace Build.Settings;

/// <summary>[Bench] (BenchmarkFetch's files and size) and [BenchmarkImages] (BenchmarkImages' image count and layer sizes).</summary>
public sealed record BenchSettings(int Files, int SizeMb, int Images, int SharedMiB, int UniqueMiB)
{
    public static BenchSettings From(Section bench, Section images) => new(
        bench.Int("Files", 20, min: 1),
        bench.Int("SizeMb", 50, min: 1),
        images.Int("Images", 6, min: 1),
        images.Int("SharedMiB", 16, min: 1),
        images.Int("UniqueMiB", 2, min: 1));
}
