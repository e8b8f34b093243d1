using Quickenshtein;

namespace KubeAirgap.Diagnostics;

/// <summary>"did you mean" for a misspelt field or value: the closest known word within a third of its length in edits.</summary>
public static class Suggestion
{
    /// <summary><c>; did you mean 'x'?</c>, or "" when no known word is close enough.</summary>
    public static string DidYouMean(string given, IEnumerable<string> known)
    {
        var best = known
            .Where(k => !string.Equals(k, given, StringComparison.Ordinal))
            .Select(k => (Word: k, Distance: Levenshtein.GetDistance(given.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(1, Math.Max(given.Length, c.Word.Length) / 3))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Word, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Word is null ? string.Empty : $"; did you mean '{best.Word}'?";
    }
}
