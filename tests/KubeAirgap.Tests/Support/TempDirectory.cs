namespace KubeAirgap.Tests.Support;

/// <summary>A per-test real directory under /tmp, removed on dispose even when the test failed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "kag-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="text"/> to a file below this directory, creating folders.</summary>
    public string Write(string relative, string text)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // a process we started may still hold a file for a moment; retry once
            Thread.Sleep(200);
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
