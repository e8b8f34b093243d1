using KubeAirgap.Testing;
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
        Assert.Equal("4 passed, 2 failed", report.SummaryLine);
        Assert.Equal("8 passed, 4 failed", TestReport.Sum([report, report]).SummaryLine);
    }
}
