using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Tests.Render.Fixtures;

/// <summary>
/// Structural differences between two YAML trees, as <c>path: before -> after</c> lines. Sequence items that are
/// mappings with a <c>name</c> are matched by that name (<c>env[FOO]</c>), other items by position; scalars compare
/// by value, so quoting and comments are not differences.
/// </summary>
internal static class YamlDiff
{
    public static IEnumerable<string> Between(YamlNode? before, YamlNode? after, string title) =>
        Walk(before, after, string.Empty).Select(d => $"{title}: {d}");

    private static IEnumerable<string> Walk(YamlNode? before, YamlNode? after, string path)
    {
        switch (before, after)
        {
            case (YamlMappingNode b, YamlMappingNode a):
                foreach (var key in b.Children.Keys.Concat(a.Children.Keys).Select(k => k.ToString()).Distinct(StringComparer.Ordinal))
                {
                    foreach (var d in Walk(Get(b, key), Get(a, key), Join(path, key)))
                    {
                        yield return d;
                    }
                }

                break;
            case (YamlSequenceNode b, YamlSequenceNode a) when Named(b) && Named(a):
                foreach (var name in NamesOf(b).Concat(NamesOf(a)).Distinct(StringComparer.Ordinal))
                {
                    foreach (var d in Walk(ByName(b, name), ByName(a, name), $"{path}[{name}]"))
                    {
                        yield return d;
                    }
                }

                break;
            case (YamlSequenceNode b, YamlSequenceNode a):
                for (var i = 0; i < Math.Max(b.Children.Count, a.Children.Count); i++)
                {
                    foreach (var d in Walk(i < b.Children.Count ? b.Children[i] : null, i < a.Children.Count ? a.Children[i] : null, $"{path}[{i}]"))
                    {
                        yield return d;
                    }
                }

                break;
            case (YamlScalarNode b, YamlScalarNode a) when b.Value == a.Value:
                break;
            case (null, null):
                break;
            default:
                yield return $"{path}: {Show(before)} -> {Show(after)}";
                break;
        }
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static bool Named(YamlSequenceNode sequence) =>
        sequence.Children.Count > 0 && sequence.Children.All(c => c is YamlMappingNode m && Get(m, "name") is YamlScalarNode);

    private static IEnumerable<string> NamesOf(YamlSequenceNode sequence) =>
        sequence.Children.Select(c => Get((YamlMappingNode)c, "name")!.ToString());

    private static YamlNode? ByName(YamlSequenceNode sequence, string name) =>
        sequence.Children.FirstOrDefault(c => Get((YamlMappingNode)c, "name")!.ToString() == name);

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Show(YamlNode? node) => node switch
    {
        null => "(absent)",
        YamlScalarNode s => s.Value ?? "null",
        YamlMappingNode m => "{" + string.Join(", ", m.Children.Select(p => $"{p.Key}: {Show(p.Value)}")) + "}",
        YamlSequenceNode q => "[" + string.Join(", ", q.Children.Select(Show)) + "]",
        _ => node.ToString(),
    };
}
