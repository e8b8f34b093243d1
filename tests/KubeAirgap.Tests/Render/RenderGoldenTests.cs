using System.Text;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// The full rendered tree of the shipped cluster.yaml + pins.yaml (with the Calico fixture as the staged manifest) is
/// checked in under tests/golden/: every template change shows up as a reviewable diff.
/// Update with: UPDATE_GOLDEN=1 dotnet test tests/KubeAirgap.Tests --filter FullyQualifiedName~RenderGoldenTests
/// </summary>
public sealed class RenderGoldenTests
{
    private static string GoldenRoot => Repo.File("tests", "golden");

    [Fact]
    public void Should_match_the_checked_in_golden_tree_for_the_shipped_cluster()
    {
        // Given
        var spec = RenderFixture.ShippedCluster;
        var renderer = new NodeRenderer(spec, RenderFixture.ShippedPins, RenderFixture.Options());

        // When
        var actual = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in spec.Nodes)
        {
            var files = renderer.Render(node);
            foreach (var file in files)
            {
                actual[$"{node.Name}/{file.Path}"] = file.Content;
            }

            actual[$"{node.Name}/MODES"] = string.Concat(files.Select(f => $"{f.ModeText} {f.Path}\n"));
        }

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            if (Directory.Exists(GoldenRoot))
            {
                Directory.Delete(GoldenRoot, recursive: true);
            }

            foreach (var (path, content) in actual)
            {
                var full = Path.Combine(GoldenRoot, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, content);
            }
        }

        // Then
        Assert.True(Directory.Exists(GoldenRoot), $"{GoldenRoot} is missing: run with UPDATE_GOLDEN=1 once");
        var expected = Directory.EnumerateFiles(GoldenRoot, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(GoldenRoot, f).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
        var report = new StringBuilder();
        foreach (var missing in actual.Keys.Except(expected.Keys))
        {
            report.AppendLine($"new file not in golden tree: {missing}");
        }

        foreach (var extra in expected.Keys.Except(actual.Keys))
        {
            report.AppendLine($"golden file no longer rendered: {extra}");
        }

        foreach (var (path, content) in actual.Where(a => expected.TryGetValue(a.Key, out var e) && e != a.Value))
        {
            report.AppendLine($"differs: {path}\n{FirstDifference(expected[path], content)}");
        }

        Assert.True(report.Length == 0, "rendered tree differs from tests/golden (review, then UPDATE_GOLDEN=1):\n" + report);
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end>";
            var al = i < a.Length ? a[i] : "<end>";
            if (el != al)
            {
                return $"  line {i + 1}:\n  - {el}\n  + {al}";
            }
        }

        return string.Empty;
    }
}
