using KubeAirgap.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Yaml;

/// <summary>A parsed YAML file whose nodes keep their line and column, for error messages that point at the field.</summary>
public sealed class YamlSource
{
    private YamlSource(string file, YamlNode? root)
    {
        File = file;
        Root = root;
    }

    public string File { get; }

    public YamlNode? Root { get; }

    public static YamlSource Load(string path, DiagnosticBag diagnostics, string? displayName = null)
    {
        var name = displayName ?? System.IO.Path.GetFileName(path);
        if (!System.IO.File.Exists(path))
        {
            diagnostics.Add(new Diagnostic(Severity.Error, name, 0, 0, string.Empty, $"file not found: {path}"));
            return new YamlSource(name, null);
        }

        return Parse(System.IO.File.ReadAllText(path), name, diagnostics);
    }

    public static YamlSource Parse(string text, string name, DiagnosticBag diagnostics)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return new YamlSource(name, stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null);
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException?.Message;
            diagnostics.Add(new Diagnostic(
                Severity.Error, name, (int)ex.Start.Line, (int)ex.Start.Column, string.Empty,
                $"YAML syntax error: {ex.Message}{(inner is null ? string.Empty : " (" + inner + ")")}"));
            return new YamlSource(name, null);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner throws this, without a position, for some malformed scalars
            diagnostics.Add(new Diagnostic(Severity.Error, name, 0, 0, string.Empty, $"YAML syntax error: {ex.Message}"));
            return new YamlSource(name, null);
        }
    }

    public YamlMap RootMap(DiagnosticBag diagnostics) => YamlMap.From(this, Root, string.Empty, diagnostics);
}
