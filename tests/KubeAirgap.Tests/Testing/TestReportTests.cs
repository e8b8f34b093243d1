using Build.Testing;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Testing;

public sealed class TestReportTests
{
    [Fact]
    public void Should_Read_Counts_From_A_Ctrf_Report_And_Print_The_CI_Line()
    {
        using var temp = new TempDirectory();
        var path = temp.Write("r.json", """
            {"results":{"tool":{"name":"xunit"},"summary":{"tests":7,"passed":4,"failed":2,"skipped":1,"pending":0,"other":0,"start":0,"stop":1},"tests":[]}}
            """);

        var report = TestReport.Read(path);

        Assert.Equal(new TestReport(7, 4, 2, 1), report);
        Assert.Equal("4 passed, 2 failed, 1 skipped", report.SummaryLine);
        Assert.Equal("8 passed, 4 failed, 2 skipped", TestReport.Sum([report, report]).SummaryLine);
    }

    [Fact]
    public void Should_Count_The_Fixture_Self_Tests_Apart_By_Their_Tag()
    {
        // Given: three tests, two tagged as fixture self-tests (one with another tag too), one untagged
        using var temp = new TempDirectory();
        var path = temp.Write("r.json", """
            {"results":{"tool":{"name":"xunit"},"summary":{"tests":3,"passed":3,"failed":0,"skipped":0},"tests":[
              {"name":"a","status":"passed","tags":["FixtureSelfTest"]},
              {"name":"b","status":"passed","tags":["Other","FixtureSelfTest"]},
              {"name":"c","status":"passed"}]}}
            """);

        // When
        var report = TestReport.Read(path);

        // Then
        Assert.Equal(2, report.FixtureSelfTests);
        Assert.Equal("1 product tests, 2 fixture self-tests (Category=FixtureSelfTest)", report.CategoryLine);
        Assert.Equal(4, TestReport.Sum([report, report]).FixtureSelfTests);
        Assert.Equal("3 passed, 0 failed, 0 skipped", report.SummaryLine);
    }

    [Theory]
    [InlineData(5, 5, 0, 0, null)]
    [InlineData(5, 4, 1, 0, "1 test(s) failed")]
    [InlineData(0, 0, 0, 0, "no test ran")]
    [InlineData(5, 4, 0, 1, "1 test(s) were skipped")]
    public void An_Unexpected_Skip_Should_Make_The_Run_Red(int tests, int passed, int failed, int skipped, string? problem)
    {
        var report = new TestReport(tests, passed, failed, skipped);

        if (problem is null)
        {
            Assert.Null(report.Problem);
        }
        else
        {
            Assert.StartsWith(problem, report.Problem, StringComparison.Ordinal);
        }
    }
}
