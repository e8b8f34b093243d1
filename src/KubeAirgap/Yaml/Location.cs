using KubeAirgap.Diagnostics;

namespace KubeAirgap.Yaml;

/// <summary>Where a value was written: file, 1-based line and column, field path.</summary>
public sealed record Location(string File, int Line, int Column, string Path)
{
    public static Location None(string file, string path) => new(file, 0, 0, path);

    public Diagnostic Error(string message) => new(Severity.Error, File, Line, Column, Path, message);

    public Diagnostic Warning(string message) => new(Severity.Warning, File, Line, Column, Path, message);
}
