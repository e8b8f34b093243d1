using KubeAirgap.Bundle;

namespace Build.Settings;

/// <summary>[Bundle]: compression, the tar mtime, the signing key, threads, the layout, and BenchmarkBundle's sizes.</summary>
public sealed record BundleSettings(
    int CompressionLevel,
    string SourceDateEpoch,
    string SigningKey,
    int Parallelism,
    BundleLayout Layout,
    int BenchmarkPayloadMB,
    IReadOnlyList<int> BenchmarkNodes,
    IReadOnlyList<int> BenchmarkRssMB,
    IReadOnlyList<int> BenchmarkFleetNodes,
    IReadOnlyList<string> BenchmarkRows)
{
    /// <summary>2026-01-01T00:00:00Z: the tar mtime when neither SOURCE_DATE_EPOCH nor [Bundle] SourceDateEpoch is set.</summary>
    public const string DefaultSourceDateEpoch = "1767225600";

    /// <param name="root">The working directory: a relative SigningKey path is taken from it.</param>
    public static BundleSettings From(Section s, string root) => new(
        s.Int("CompressionLevel", 6, min: 0, max: 9),
        // checked with SOURCE_DATE_EPOCH, which overrides it (KubeAirgap.Bundle.SourceDateEpoch.Resolve)
        s.String("SourceDateEpoch", DefaultSourceDateEpoch),
        s.Raw("SigningKey") is { } key ? Path.GetFullPath(key, root) : string.Empty,
        s.Int("Parallelism", 0),
        BundleLayouts.Parse(s.String("Layout", BundleLayouts.SelfContainedName), s.Where("Layout")),
        s.Int("BenchmarkPayloadMB", 300, min: 1),
        s.Ints("BenchmarkNodes", "3,50"),
        s.Ints("BenchmarkRssMB", "40,1024"),
        s.Ints("BenchmarkFleetNodes", "3,50,200"),
        s.String("BenchmarkRows", string.Join(",", KubeAirgap.Bench.Bundle.BundleBenchmark.AllRows)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Threads compressing payloads and writing tarballs: Parallelism, or 0 for one per core.</summary>
    public int Threads => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;
}
