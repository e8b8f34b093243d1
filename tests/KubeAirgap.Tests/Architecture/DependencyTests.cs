using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Architecture;

/// <summary>
/// Every folder of src/KubeAirgap uses only the folders docs/architecture.md allows (its ```rules block), as the
/// C# compiler binds the names; and the checker catches an edge planted on purpose.
/// </summary>
public sealed class DependencyTests
{
    private static readonly string Source = Repo.File("src", "KubeAirgap");

    private static readonly Lazy<IReadOnlyList<FolderUse>> Uses = new(() => FolderGraph.Build(Source));

    private static ArchitectureRules Rules() =>
        ArchitectureRules.Parse(File.ReadAllText(Repo.File("docs", "architecture.md")), "docs/architecture.md");

    public sealed class TheSourceTree
    {
        [Fact]
        public void Should_use_only_the_folders_docs_architecture_allows()
        {
            // Given
            var rules = Rules();

            // When
            var violations = rules.Violations(Uses.Value);

            // Then
            Assert.True(violations.Count == 0, "uses docs/architecture.md does not permit:\n" + string.Join('\n', violations));
        }

        [Fact]
        public void Should_need_every_allow_and_exception_line_of_the_rules()
        {
            var unused = Rules().Unused(Uses.Value);

            Assert.True(unused.Count == 0, "rules no code needs any more (remove them from docs/architecture.md): " + string.Join(", ", unused));
        }

        [Fact]
        public void Should_place_every_folder_of_src_in_a_layer_and_name_no_folder_that_is_gone()
        {
            var onDisk = Directory.GetDirectories(Source).Select(Path.GetFileName).OfType<string>()
                .Where(d => d is not "bin" and not "obj" && Directory.EnumerateFiles(Path.Combine(Source, d), "*.cs", SearchOption.AllDirectories).Any())
                .Order(StringComparer.Ordinal);

            Assert.Equal(onDisk, Rules().Folders.Order(StringComparer.Ordinal));
        }

        [Fact]
        public void Should_hold_no_benchmark_synthetic_or_test_harness_code()
        {
            var offending = Directory.EnumerateFileSystemEntries(Repo.File("src"), "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(Repo.Root, p))
                .Where(p => !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal))
                .Where(p => new[] { "Bench", "Synthetic", "Testing", "E2E" }.Any(w => p.Contains(w, StringComparison.OrdinalIgnoreCase)))
                .ToList();

            Assert.True(offending.Count == 0, "not product code, belongs in bench/ or tests/KubeAirgap.TestSupport: " + string.Join(", ", offending));
        }
    }

    public sealed class ThePlantMethod
    {
        [Fact]
        public void Should_catch_a_foundation_folder_that_uses_a_stage()
        {
            // Given: Diagnostics (foundation) naming Bundle (a stage) by its full name
            var planted = ("Diagnostics/Planted.cs", """
                namespace KubeAirgap.Diagnostics;

                internal static class Planted
                {
                    public static object Key() => KubeAirgap.Bundle.Manifests.BundleSigner.Generate();
                }
                """);

            // When
            var violations = Rules().Violations(FolderGraph.Plant(Source, planted));

            // Then
            var violation = Assert.Single(violations);
            Assert.StartsWith("Diagnostics -> Bundle (BundleSigner; Diagnostics/Planted.cs:5: ", violation, StringComparison.Ordinal);
            Assert.EndsWith("Diagnostics is in a lower layer than Bundle and may not use it", violation, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_catch_a_use_through_a_namespace_qualifier_without_a_using_directive()
        {
            // Given: Pins.PinsFile resolves through the enclosing KubeAirgap namespace; no using line names Pins
            var planted = ("Yaml/Planted.cs", """
                namespace KubeAirgap.Yaml;

                internal static class Planted
                {
                    internal static Pins.PinsFile? Last { get; set; }
                }
                """);

            // When
            var uses = FolderGraph.Plant(Source, planted);

            // Then
            Assert.Contains(uses, u => u is { Edge: "Yaml -> Pins", Type: "PinsFile" });
            Assert.Contains(Rules().Violations(uses), v => v.StartsWith("Yaml -> Pins ", StringComparison.Ordinal));
        }

        [Fact]
        public void Should_not_count_a_member_that_only_shares_a_folder_name()
        {
            // Given: a property called Images and a local called Bundle, bound to themselves, not to the folders
            var planted = ("Diagnostics/Planted.cs", """
                namespace KubeAirgap.Diagnostics;

                internal sealed class Planted
                {
                    public int Images { get; set; }

                    public int Next()
                    {
                        var Bundle = Images + 1;
                        return Bundle;
                    }
                }
                """);

            // When
            var uses = FolderGraph.Plant(Source, planted);

            // Then
            Assert.Empty(uses);
        }

        [Fact]
        public void Should_catch_a_stage_naming_a_type_outside_the_shared_part_of_Fetch()
        {
            // Given: Nginx may use Fetch, but only its shared part; Fetcher is the Fetch stage itself
            var planted = ("Nginx/Planted.cs", """
                namespace KubeAirgap.Nginx;

                internal static class Planted
                {
                    internal static KubeAirgap.Fetch.Fetcher? Stage { get; set; }

                    internal static KubeAirgap.Fetch.StagedSource? Source { get; set; }
                }
                """);

            // When
            var violations = Rules().Violations(FolderGraph.Plant(Source, planted));

            // Then
            var violation = Assert.Single(violations);
            Assert.StartsWith("Nginx -> Fetch (Fetcher; Nginx/Planted.cs:5: Fetcher): Fetcher is not in the shared part of Fetch", violation, StringComparison.Ordinal);
        }
    }

    public sealed class TheParseMethod
    {
        [Fact]
        public void Should_name_the_line_of_a_rule_it_cannot_read()
        {
            var markdown = "# doc\n\n```rules\nlayer low: A\nallow A => B: typo\n```\n";

            var error = Assert.Throws<InvalidDataException>(() => ArchitectureRules.Parse(markdown, "doc.md"));

            Assert.StartsWith("doc.md:5: 'allow A => B: typo' wants 'From -> To: reason'", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_refuse_a_use_within_a_layer_that_no_allow_line_names()
        {
            var rules = ArchitectureRules.Parse("```rules\nlayer low: A\nlayer high: B C\nallow B -> C: because\n```\n", "doc.md");

            var violations = rules.Violations([
                new FolderUse("B", "A", "T", "B/x.cs:1", "T"),
                new FolderUse("B", "C", "T", "B/x.cs:2", "T"),
                new FolderUse("C", "B", "T", "C/x.cs:3", "T"),
                new FolderUse("A", "B", "T", "A/x.cs:4", "T"),
                new FolderUse("D", "A", "T", "D/x.cs:5", "T"),
            ]);

            Assert.Equal(
            [
                "C -> B (T; C/x.cs:3: T): C and B are in one layer and no 'allow C -> B' line permits it",
                "A -> B (T; A/x.cs:4: T): A is in a lower layer than B and may not use it",
                "D -> A (T; D/x.cs:5: T): folder D is in no layer of docs/architecture.md (add it to the layer it belongs to)",
            ], violations);
        }
    }
}
