using System.Text;
using Spectre.Console;

namespace KubeAirgap.Fetch.Progress;

/// <summary>The end-of-run table: artifact, version, arch, size, source (cache or URL), signer.</summary>
public static class FetchSummary
{
    public static IReadOnlyList<string[]> Rows(FetchResult result) =>
        [.. result.Artifacts
            .OrderBy(a => a.Item.Component.Name, StringComparer.Ordinal).ThenBy(a => a.Item.Arch, StringComparer.Ordinal)
            .Select(a => new[]
            {
                a.Item.Component.Name,
                a.Item.Component.Version,
                a.Item.Arch,
                Size.Format(a.Size),
                a.Source?.ToString() ?? "cache",
                a.Signer is null ? string.Empty : "signed by " + a.Signer.Fingerprint,
            })];

    private static readonly string[] Headers = ["artifact", "version", "arch", "size", "source", "signature"];

    /// <summary>Plain text, aligned columns, no ANSI (for logs).</summary>
    public static string Plain(FetchResult result)
    {
        var rows = Rows(result);
        var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        foreach (var row in new[] { Headers }.Concat(rows))
        {
            text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString();
    }

    public static Table Table(FetchResult result)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in Headers)
        {
            table.AddColumn(header);
        }

        foreach (var row in Rows(result))
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }

        return table;
    }
}
