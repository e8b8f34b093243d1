using System.Text.Json;

namespace Build.Testing;

/// <summary>Counts from a CTRF (Common Test Report Format) JSON file, as xunit.v3 writes it with --report-xunit-ctrf.</summary>
public sealed record TestReport(int Tests, int Passed, int Failed, int Skipped)
{
    /// <summary>The closing line CI looks for: <c>N passed, N failed, N skipped</c>.</summary>
    public string SummaryLine => $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    /// <summary>
    /// What makes the run red: a failure, no test at all, or a skip. Nothing in this suite is skipped on purpose
    /// (a test that cannot run here fails and says why), so a skip means a test silently stopped testing.
    /// </summary>
    public string? Problem =>
        Failed > 0 ? $"{Failed} test(s) failed"
        : Tests == 0 ? "no test ran"
        : Skipped > 0 ? $"{Skipped} test(s) were skipped; this suite expects none (see the test output for which)"
        : null;

    /// <summary>The trait value (xunit <c>[Trait("Category", ...)]</c>, a CTRF tag) of tests that test a test fixture.</summary>
    public const string FixtureSelfTestTag = "FixtureSelfTest";

    /// <summary>How many of <see cref="Tests"/> test the fixtures and harness tools rather than kube-airgap.</summary>
    public int FixtureSelfTests { get; init; }

    /// <summary>The line printed before <see cref="SummaryLine"/>, so product tests and fixture self-tests are counted apart.</summary>
    public string CategoryLine => $"{Tests - FixtureSelfTests} product tests, {FixtureSelfTests} fixture self-tests (Category={FixtureSelfTestTag})";

    public static TestReport Read(string ctrfPath)
    {
        using var stream = File.OpenRead(ctrfPath);
        using var document = JsonDocument.Parse(stream);
        var results = document.RootElement.GetProperty("results");
        var summary = results.GetProperty("summary");
        int Count(string name) => summary.TryGetProperty(name, out var value) ? value.GetInt32() : 0;
        var selfTests = results.TryGetProperty("tests", out var tests)
            ? tests.EnumerateArray().Count(t => t.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
                && tags.EnumerateArray().Any(tag => tag.ValueKind == JsonValueKind.String && tag.GetString() == FixtureSelfTestTag))
            : 0;
        return new TestReport(Count("tests"), Count("passed"), Count("failed"), Count("skipped")) { FixtureSelfTests = selfTests };
    }

    /// <summary>Adds several reports (one per test project or run).</summary>
    public static TestReport Sum(IEnumerable<TestReport> reports) =>
        reports.Aggregate(new TestReport(0, 0, 0, 0), (a, b) => new TestReport(a.Tests + b.Tests, a.Passed + b.Passed, a.Failed + b.Failed, a.Skipped + b.Skipped)
        {
            FixtureSelfTests = a.FixtureSelfTests + b.FixtureSelfTests,
        });
}
