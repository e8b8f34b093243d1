using System.Text;

namespace KubeAirgap.Bundle.Manifests;

/// <summary>The <c>sha256sum</c> format: <c>&lt;hex&gt;  &lt;path&gt;</c>, one line each, sorted by path.</summary>
public static class Sha256Sums
{
    public static byte[] Render(IEnumerable<(string Path, string Sha256)> files)
    {
        var text = new StringBuilder();
        foreach (var (path, sha) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append(sha).Append("  ").Append(path).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static IReadOnlyDictionary<string, string> Parse(string text, string where)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            var space = line.IndexOf("  ", StringComparison.Ordinal);
            if (space != 64)
            {
                throw new InvalidDataException($"{where}:{number}: expected '<sha256>  <path>', got '{line}'");
            }

            result[line[66..]] = line[..64];
        }

        return result;
    }
}
