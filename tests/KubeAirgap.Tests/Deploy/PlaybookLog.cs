using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KubeAirgap.Tests.Deploy;

/// <summary>
/// ansible-playbook -v's own output, read back: every host result line ("ok: [n01] => {...}") with the play and
/// task it belongs to, in the order printed, and the command module's start and end times.
/// </summary>
public sealed partial class PlaybookLog
{
    public sealed record Entry(int Index, string Play, string Task, string Status, string Host, JsonElement? Result)
    {
        public DateTime Start => Time("start");

        public DateTime End => Time("end");

        public int Rc => Result?.GetProperty("rc").GetInt32() ?? throw new InvalidOperationException($"{Host}/{Task}: no result");

        public string Text(string field) => Result is { } r && r.TryGetProperty(field, out var v) ? v.ToString() : string.Empty;

        private DateTime Time(string field) =>
            DateTime.ParseExact(Text(field), "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
    }

    public PlaybookLog(string stdout)
    {
        Text = stdout;
        string play = string.Empty, task = string.Empty;
        var entries = new List<Entry>();
        foreach (var line in stdout.Split('\n'))
        {
            if (PlayLine().Match(line) is { Success: true } p)
            {
                play = p.Groups[1].Value;
            }
            else if (TaskLine().Match(line) is { Success: true } t)
            {
                task = t.Groups[1].Value;
            }
            else if (ResultLine().Match(line) is { Success: true } r)
            {
                JsonElement? result = r.Groups[3].Success ? JsonDocument.Parse(r.Groups[3].Value).RootElement.Clone() : null;
                entries.Add(new Entry(entries.Count, play, task, r.Groups[1].Value, r.Groups[2].Value, result));
            }
        }

        Entries = entries;
    }

    public string Text { get; }

    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>The results of tasks whose name starts with <paramref name="task"/> in plays whose name starts with <paramref name="play"/>.</summary>
    public IReadOnlyList<Entry> Of(string play, string task) =>
        Entries.Where(e => e.Play.StartsWith(play, StringComparison.Ordinal) && e.Task.StartsWith(task, StringComparison.Ordinal)).ToList();

    public IReadOnlyList<string> Tasks => Entries.Select(e => e.Task).Distinct().ToList();

    [GeneratedRegex(@"^PLAY \[(.*)\] \*+\s*$")]
    private static partial Regex PlayLine();

    [GeneratedRegex(@"^TASK \[(.*)\] \*+\s*$")]
    private static partial Regex TaskLine();

    [GeneratedRegex(@"^(ok|changed|failed|fatal|skipping): \[([^\]]+)\](?:: [A-Z]+!)?(?: => (\{.*\}))?\s*$")]
    private static partial Regex ResultLine();
}
