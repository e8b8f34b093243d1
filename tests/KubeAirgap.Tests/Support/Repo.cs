namespace KubeAirgap.Tests.Support;

/// <summary>Paths in the repository checkout the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "cake.config")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (with cake.config) not found above " + AppContext.BaseDirectory);
    }
}
