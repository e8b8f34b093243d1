using System.Text.Json;
using System.Text.RegularExpressions;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Contracts;

/// <summary>
/// The generator (tests/fixtures/kube/generate) needs upstream snapshots and is not run here; its parser is, on a
/// committed Go sample, and every committed output must say which upstream repository, tag and commit it came from.
/// </summary>
[Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
public sealed partial class GeneratorTests
{
    private static string Generate => Repo.File("tests", "fixtures", "kube", "generate");

    [Fact]
    public void Should_parse_the_committed_Go_sample_into_the_committed_expectation()
    {
        // Given
        var expected = File.ReadAllText(Path.Combine(Generate, "sample", "expected.json"));

        // When
        var actual = Cmd.Run("python3", [Path.Combine(Generate, "generate.py"), "--sample"]).EnsureSuccess("generate.py --sample");

        // Then
        Assert.Equal(expected, actual.Stdout);
    }

    [Fact]
    public void Should_read_nested_types_and_skip_what_the_decoder_skips_in_the_sample()
    {
        // Given
        using var parsed = JsonDocument.Parse(Cmd.Run("python3", [Path.Combine(Generate, "generate.py"), "--sample"]).EnsureSuccess("generate.py --sample").Stdout);
        var fields = parsed.RootElement.GetProperty("schema").GetProperty("fields");

        // Then: inlined, nested two levels, json:"-" / unexported / commented-out fields absent
        Assert.True(fields.TryGetProperty("apiVersion", out _));
        Assert.Equal("boolean", fields.GetProperty("nested").GetProperty("fields").GetProperty("deeper").GetProperty("fields").GetProperty("enabled").GetProperty("type").GetString());
        Assert.False(fields.TryGetProperty("Secret", out _));
        Assert.False(fields.TryGetProperty("unexported", out _));
        Assert.False(fields.TryGetProperty("fake", out _));
        var flags = parsed.RootElement.GetProperty("flags").EnumerateArray().Select(f => f[0].GetString()).ToList();
        Assert.DoesNotContain("commented-out", flags);
        Assert.Contains("audit-webhook-mode", flags);
        Assert.Equal("use --v instead; this flag will be removed", parsed.RootElement.GetProperty("deprecated").GetProperty("verbose").GetString());
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_record_the_upstream_repository_tag_and_commit_in_every_generated_file(string version)
    {
        var dir = Repo.File("tests", "fixtures", "kube", "contract", version);
        foreach (var schema in Directory.GetFiles(Path.Combine(dir, "schemas"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(schema));
            Assert.Equal(version, doc.RootElement.GetProperty("kubernetesVersion").GetString());
            var sources = doc.RootElement.GetProperty("sources").EnumerateArray().ToList();
            Assert.NotEmpty(sources);
            Assert.All(sources, s =>
            {
                Assert.StartsWith("kubernetes/", s.GetProperty("repo").GetString(), StringComparison.Ordinal);
                Assert.Equal("kubernetes-" + version, s.GetProperty("tag").GetString());
                Assert.Matches("^[0-9a-f]{40}$", s.GetProperty("commit").GetString()!);
            });
        }

        foreach (var flags in Directory.GetFiles(Path.Combine(dir, "flags"), "*.flags"))
        {
            var text = File.ReadAllText(flags);
            Assert.Matches(SourceLine(), text);
            Assert.Contains($"@kubernetes-{version} (", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_say_in_every_flag_list_which_minor_its_kubernetes_kubernetes_flags_were_documented_for(string version)
    {
        // Given: each cmd-flags input names the minor of the reference page it was read from
        var pinned = string.Join('.', version.Split('.').Take(2));
        foreach (var input in Directory.GetFiles(Path.Combine(Generate, "cmd-flags"), "*.flags"))
        {
            var documented = DocumentsLine().Match(File.ReadAllText(input));
            Assert.True(documented.Success, $"{input}: no '# documents: MAJOR.MINOR' line");
            var component = Path.GetFileNameWithoutExtension(input);

            // When
            var contract = File.ReadAllText(Repo.File("tests", "fixtures", "kube", "contract", version, "flags", component + ".flags"));

            // Then: the contract states that minor, and says so loudly when it is not the pinned one
            var minor = documented.Groups[1].Value;
            var expected = minor == pinned
                ? $"# cmd/ and pkg/ flags: documented for Kubernetes {minor}, the pinned minor."
                : $"# cmd/ and pkg/ flags: documented for Kubernetes {minor}, NOT the pinned minor {pinned} ";
            Assert.Contains(expected, contract, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_refuse_a_cmd_flags_input_that_does_not_name_its_documented_minor()
    {
        // Given: a copy of the generator whose kube-proxy input lost its '# documents:' line
        using var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(Generate, "*.py"))
        {
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        }

        Directory.CreateDirectory(Path.Combine(dir.Path, "cmd-flags"));
        var input = File.ReadAllLines(Path.Combine(Generate, "cmd-flags", "kube-proxy.flags")).Where(l => !l.StartsWith("# documents:", StringComparison.Ordinal));
        File.WriteAllLines(Path.Combine(dir.Path, "cmd-flags", "kube-proxy.flags"), input);

        // When
        var result = Cmd.Run("python3", ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import flagsources; flagsources.cmd_flags('kube-proxy', sys.argv[1])", dir.Path]);

        // Then
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cmd-flags/kube-proxy.flags: no '# documents: MAJOR.MINOR' line", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_record_the_etcd_tag_and_commit_in_the_etcd_flag_list()
    {
        var text = File.ReadAllText(Repo.File("tests", "fixtures", "kube", "contract", "etcd", "3.6.14", "flags", "etcd.flags"));

        Assert.Matches(@"(?m)^#   etcd-io/etcd@v3\.6\.14 \([0-9a-f]{40}\)$", text);
    }

    [GeneratedRegex(@"(?m)^# documents: (\d+\.\d+)$")]
    private static partial Regex DocumentsLine();

    [GeneratedRegex(@"(?m)^#   kubernetes/[a-z-]+@kubernetes-\d+\.\d+\.\d+ \([0-9a-f]{40}\)$")]
    private static partial Regex SourceLine();
}
