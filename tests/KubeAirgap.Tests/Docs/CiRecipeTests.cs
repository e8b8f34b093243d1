using System.Text.RegularExpressions;
using KubeAirgap.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Tests.Docs;

/// <summary>The CI recipes under docs/ci/ parse, run only what the README documents, and ship what crosses the gap.</summary>
public sealed partial class CiRecipeTests
{
    public static TheoryData<string> Recipes => new() { "github-actions.yml", "gitlab-ci.yml" };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Every_BuildSh_Command_In_The_Recipe_Should_Be_Documented_In_The_README(string recipe)
    {
        // Given
        var readme = File.ReadAllText(Repo.File("README.md"));
        var targets = TargetRow().Matches(readme).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        // When
        var commands = ShellLines(Load(recipe)).Where(l => l.StartsWith("./build.sh", StringComparison.Ordinal)).ToList();

        // Then: Plan, Bundle, VerifyBundle at least; every target in the README's table, every flag in the README
        Assert.True(commands.Count >= 3, $"{recipe}: expected the Plan, Bundle and VerifyBundle steps, found {commands.Count}");
        Assert.Contains(commands, c => c.Contains("--target=Bundle", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("--target=VerifyBundle", StringComparison.Ordinal));
        foreach (var command in commands)
        {
            foreach (var arg in command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                Assert.StartsWith("--", arg, StringComparison.Ordinal);
                var name = arg.Split('=')[0];
                if (name == "--target")
                {
                    var target = arg["--target=".Length..];
                    Assert.True(targets.Contains(target), $"{recipe}: target {target} is not in the README's target table");
                }
                else
                {
                    Assert.True(readme.Contains($"`{name}", StringComparison.Ordinal), $"{recipe}: {name} is not documented in the README");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void The_Recipe_Should_Keep_The_Cache_And_State_And_Upload_Tarballs_Sums_Signature_And_Key(string recipe)
    {
        var text = File.ReadAllText(Repo.File("docs", "ci", recipe));

        Assert.Contains(".cache", text, StringComparison.Ordinal);
        Assert.Contains("state", text, StringComparison.Ordinal);
        foreach (var shipped in new[] { "*.tar.gz", "SHA256SUMS", "SHA256SUMS.sig", "-bundle-signing.pub", "verify-bundle.sh" })
        {
            Assert.Contains(shipped, text, StringComparison.Ordinal);
        }
    }

    private static YamlNode Load(string recipe)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Repo.File("docs", "ci", recipe))));
        return stream.Documents[0].RootNode;
    }

    /// <summary>Every shell line of the recipe: GitHub's <c>run:</c> blocks and GitLab's script lists.</summary>
    private static IEnumerable<string> ShellLines(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value;
                    if (name is "run" && value is YamlScalarNode run)
                    {
                        foreach (var line in (run.Value ?? string.Empty).Split('\n'))
                        {
                            yield return line.Trim();
                        }
                    }
                    else if (name is "script" or "before_script" && value is YamlSequenceNode script)
                    {
                        foreach (var line in script.Children.OfType<YamlScalarNode>())
                        {
                            yield return (line.Value ?? string.Empty).Trim();
                        }
                    }
                    else
                    {
                        foreach (var line in ShellLines(value))
                        {
                            yield return line;
                        }
                    }
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var line in sequence.Children.SelectMany(ShellLines))
                {
                    yield return line;
                }

                break;
        }
    }

    [GeneratedRegex(@"^\| `([A-Za-z0-9]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TargetRow();
}
