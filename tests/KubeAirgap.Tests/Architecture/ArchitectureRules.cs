using System.Text.RegularExpressions;

namespace KubeAirgap.Tests.Architecture;

/// <summary>
/// The rules of docs/architecture.md, read from its <c>```rules</c> block:
/// <code>
/// layer NAME: Folder Folder ...          (in order, lowest first; a folder may use every folder of a lower layer)
/// allow From -> To: reason               (a use within one layer)
/// shared Folder: Type Type ...           (the only types of Folder other folders may name)
/// exception From -> To: reason           (a use the rules would refuse, kept until it is removed)
/// exception From -> To.Type: reason      (one type outside To's shared part)
/// </code>
/// </summary>
public sealed partial class ArchitectureRules
{
    private readonly Dictionary<string, int> _layerOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _allowed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _exceptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _shared = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Folders => _layerOf.Keys;

    /// <summary>Every allow and exception line, as "From -> To" or "From -> To.Type".</summary>
    public IEnumerable<string> Declared => _allowed.Keys.Concat(_exceptions.Keys);

    public static ArchitectureRules Parse(string markdown, string source)
    {
        var block = RulesBlock().Match(markdown);
        if (!block.Success)
        {
            throw new InvalidDataException($"{source}: no ```rules block");
        }

        var rules = new ArchitectureRules();
        var lineNumber = markdown[..block.Groups[1].Index].Count(c => c == '\n');
        foreach (var raw in block.Groups[1].Value.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            rules.Add(line, $"{source}:{lineNumber}");
        }

        return rules;
    }

    /// <summary>
    /// Each use the rules refuse, in words that name the edge, the place and the rule: one line per refused edge
    /// (shown by a type it names rather than a using directive, where there is one), and one per type named
    /// outside a folder's shared part.
    /// </summary>
    public IReadOnlyList<string> Violations(IEnumerable<FolderUse> uses)
    {
        var violations = new List<string>();
        foreach (var edge in uses.GroupBy(u => u.Edge, StringComparer.Ordinal))
        {
            var use = edge.FirstOrDefault(u => u.Type != FolderUse.Namespace) ?? edge.First();
            if (EdgeViolation(use) is { } violation)
            {
                violations.Add(violation);
            }

            if (_shared.TryGetValue(use.To, out var shared))
            {
                violations.AddRange(edge
                    .Where(u => u.Type != FolderUse.Namespace && !shared.Contains(u.Type) && !_exceptions.ContainsKey($"{u.Edge}.{u.Type}"))
                    .Select(u => $"{u}: {u.Type} is not in the shared part of {u.To} ({string.Join(", ", shared.Order(StringComparer.Ordinal))})"));
            }
        }

        return violations;
    }

    private string? EdgeViolation(FolderUse use)
    {
        if (!_layerOf.TryGetValue(use.From, out var from) || !_layerOf.TryGetValue(use.To, out var to))
        {
            var folder = _layerOf.ContainsKey(use.From) ? use.To : use.From;
            return $"{use}: folder {folder} is in no layer of docs/architecture.md (add it to the layer it belongs to)";
        }

        if (to < from || _allowed.ContainsKey(use.Edge) || _exceptions.ContainsKey(use.Edge))
        {
            return null;
        }

        return to > from
            ? $"{use}: {use.From} is in a lower layer than {use.To} and may not use it"
            : $"{use}: {use.From} and {use.To} are in one layer and no 'allow {use.Edge}' line permits it";
    }

    /// <summary>Allow and exception lines that no use needs any more (a removed exception must leave the doc too).</summary>
    public IReadOnlyList<string> Unused(IReadOnlyList<FolderUse> uses)
    {
        var used = uses.Select(u => u.Edge).Concat(uses.Select(u => $"{u.Edge}.{u.Type}")).ToHashSet(StringComparer.Ordinal);
        return [.. Declared.Where(d => !used.Contains(d))];
    }

    private void Add(string line, string where)
    {
        var rule = RuleLine().Match(line);
        if (!rule.Success)
        {
            throw new InvalidDataException($"{where}: '{line}' is not 'layer NAME: Folders', 'allow A -> B: reason', 'shared A: Types' or 'exception A -> B[.Type]: reason'");
        }

        var (kind, subject, text) = (rule.Groups["kind"].Value, rule.Groups["subject"].Value.Trim(), rule.Groups["text"].Value.Trim());
        switch (kind)
        {
            case "layer":
                var layer = _layerOf.Count == 0 ? 0 : _layerOf.Values.Max() + 1;
                foreach (var folder in Words(text))
                {
                    if (!_layerOf.TryAdd(folder, layer))
                    {
                        throw new InvalidDataException($"{where}: folder {folder} is in two layers");
                    }
                }

                break;
            case "shared":
                _shared[subject] = [.. Words(text)];
                break;
            default:
                var edge = EdgeText().Match(subject);
                if (!edge.Success || text.Length == 0)
                {
                    throw new InvalidDataException($"{where}: '{line}' wants 'From -> To: reason'");
                }

                var key = $"{edge.Groups[1].Value} -> {edge.Groups[2].Value}";
                (kind == "allow" ? _allowed : _exceptions)[key] = text;
                break;
        }
    }

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"```rules\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex RulesBlock();

    [GeneratedRegex(@"^(?<kind>layer|allow|shared|exception)\s+(?<subject>[^:]+):\s*(?<text>.*)$")]
    private static partial Regex RuleLine();

    [GeneratedRegex(@"^(\w+)\s*->\s*([\w.]+)$")]
    private static partial Regex EdgeText();
}
