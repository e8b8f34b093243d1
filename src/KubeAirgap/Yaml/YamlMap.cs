using System.Globalization;
using KubeAirgap.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Yaml;

/// <summary>
/// Reads one YAML mapping into typed values, recording every error with file:line:column and the field
/// path (e.g. <c>nodes[2].ip</c>), and, at <see cref="Done"/>, every key that was never read (unknown field).
/// </summary>
public sealed class YamlMap
{
    private readonly YamlSource _source;
    private readonly YamlMappingNode? _node;
    private readonly DiagnosticBag _diagnostics;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private YamlMap(YamlSource source, YamlMappingNode? node, string path, DiagnosticBag diagnostics, YamlNode? at)
    {
        _source = source;
        _node = node;
        Path = path;
        _diagnostics = diagnostics;
        Line = at is null ? 0 : (int)at.Start.Line;
        Column = at is null ? 0 : (int)at.Start.Column;
    }

    public string Path { get; }

    public int Line { get; }

    public int Column { get; }

    public bool Exists => _node is not null;

    public static YamlMap From(YamlSource source, YamlNode? node, string path, DiagnosticBag diagnostics)
    {
        if (node is null or YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return new YamlMap(source, null, path, diagnostics, node);
        }

        if (node is YamlMappingNode mapping)
        {
            return new YamlMap(source, mapping, path, diagnostics, node);
        }

        diagnostics.Add(new Diagnostic(Severity.Error, source.File, (int)node.Start.Line, (int)node.Start.Column, path, "expected a mapping"));
        return new YamlMap(source, null, path, diagnostics, node);
    }

    /// <summary>A mapping found among this one's values (e.g. through <see cref="Entries"/>).</summary>
    public YamlMap Nested(YamlNode node, string path) => From(_source, node, path, _diagnostics);

    public string Child(string key) => string.IsNullOrEmpty(Path) ? key : $"{Path}.{key}";

    public Location LocationOf(string key)
    {
        var node = Find(key);
        return node is null
            ? new Location(_source.File, Line, Column, Child(key))
            : new Location(_source.File, (int)node.Start.Line, (int)node.Start.Column, Child(key));
    }

    public Location Location => new(_source.File, Line, Column, Path);

    public bool Has(string key) => Find(key) is not null;

    public string? String(string key, bool required = false, string? fallback = null)
    {
        var node = Find(key);
        if (node is null)
        {
            if (required)
            {
                Error(Location, $"required field '{Child(key)}' is missing");
            }

            return fallback;
        }

        if (node is YamlScalarNode scalar)
        {
            return scalar.Value is null or "~" || (scalar.Value == "null" && scalar.Style == YamlDotNet.Core.ScalarStyle.Plain)
                ? fallback
                : scalar.Value;
        }

        Error(LocationOf(key), "expected a scalar value");
        return fallback;
    }

    public int? Int(string key, bool required = false, int? fallback = null)
    {
        var text = String(key, required);
        if (text is null)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        Error(LocationOf(key), $"'{text}' is not an integer");
        return fallback;
    }

    public bool? Bool(string key, bool? fallback = null)
    {
        var text = String(key);
        return text switch
        {
            null => fallback,
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => ErrorAndReturn(LocationOf(key), $"'{text}' is not a boolean (true or false)", fallback),
        };
    }

    public YamlMap Map(string key, bool required = false)
    {
        var node = Find(key);
        if (node is null && required)
        {
            Error(Location, $"required field '{Child(key)}' is missing");
        }

        return From(_source, node, Child(key), _diagnostics);
    }

    /// <summary>The items of a sequence; each is handed to <paramref name="read"/> with its own path.</summary>
    public List<T> List<T>(string key, Func<YamlNode, string, T?> read, bool required = false)
    {
        var node = Find(key);
        var result = new List<T>();
        if (node is null or YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            if (required)
            {
                Error(Location, $"required field '{Child(key)}' is missing");
            }

            return result;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(LocationOf(key), "expected a list");
            return result;
        }

        var i = 0;
        foreach (var item in sequence.Children)
        {
            var value = read(item, $"{Child(key)}[{i++}]");
            if (value is not null)
            {
                result.Add(value);
            }
        }

        return result;
    }

    public List<YamlMap> Maps(string key, bool required = false) =>
        List(key, (node, path) => From(_source, node, path, _diagnostics), required);

    public List<(string Value, Location Location)> Strings(string key, bool required = false) =>
        List<(string, Location)>(key, (node, path) =>
        {
            if (node is YamlScalarNode { Value: { } v })
            {
                return (v, new Location(_source.File, (int)node.Start.Line, (int)node.Start.Column, path));
            }

            _diagnostics.Add(new Diagnostic(Severity.Error, _source.File, (int)node.Start.Line, (int)node.Start.Column, path, "expected a scalar value"));
            return default;
        }, required).Where(x => x.Item1 is not null).ToList();

    /// <summary>Every key/value pair of the mapping (for free-form maps such as version tables).</summary>
    public IEnumerable<(string Key, YamlNode Value, Location Location)> Entries()
    {
        if (_node is null)
        {
            yield break;
        }

        foreach (var (k, v) in _node.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? string.Empty;
            _read.Add(key);
            yield return (key, v, new Location(_source.File, (int)k.Start.Line, (int)k.Start.Column, Child(key)));
        }
    }

    /// <summary>Reports every key of this mapping that no reader asked for.</summary>
    public void Done()
    {
        if (_node is null)
        {
            return;
        }

        foreach (var (k, _) in _node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "?";
            if (!_read.Contains(key))
            {
                var known = _read.Where(r => !_node.Children.ContainsKey(new YamlScalarNode(r)));
                _diagnostics.Add(new Diagnostic(Severity.Error, _source.File, (int)k.Start.Line, (int)k.Start.Column, Child(key), "unknown field" + Suggestion.DidYouMean(key, known)));
            }
        }
    }

    public void Error(Location at, string message) =>
        _diagnostics.Add(new Diagnostic(Severity.Error, at.File, at.Line, at.Column, at.Path, message));

    private T? ErrorAndReturn<T>(Location at, string message, T? value)
    {
        Error(at, message);
        return value;
    }

    private YamlNode? Find(string key)
    {
        _read.Add(key);
        if (_node is null)
        {
            return null;
        }

        return _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
    }
}
