using System.Globalization;
using KubeAirgap.Pki;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>
/// The Certs and Pki tasks through the build host on the example cluster.yaml, as README "Renew certificates" runs
/// them: the report as of a later date warns, a build with that --pki_asof renews and names the nodes, the report then
/// has nothing to warn about, and a bad --pki_renew name fails the build with the name and nothing re-issued.
/// </summary>
public sealed class CertsTaskTests
{
    [Fact]
    public void Should_warn_as_of_a_date_then_renew_with_that_date_and_refuse_an_unknown_name()
    {
        // Given: the example cluster's PKI built today
        using var dir = new TempDirectory("kag-certs-task");
        var host = Path.Combine(AppContext.BaseDirectory, "Build");
        var env = new Dictionary<string, string> { ["NO_COLOR"] = "1" };
        Cmd.Result Build(params string[] extra) => Cmd.Run(host,
            [
                $"--working={Repo.Root}", $"--cluster={Repo.File("cluster.yaml")}", $"--pins={Repo.File("pins.yaml")}",
                $"--paths_state={dir.Combine("state")}", $"--paths_artifacts={dir.Combine("artifacts")}", .. extra,
            ],
            Repo.Root, env);
        Build("--target=Pki").EnsureSuccess("Pki");

        // the renewal window measured from 335 days ahead (365 - 30, the latest date a new leaf covers), with the time:
        // every leaf just issued is within it
        var at = DateTimeOffset.UtcNow.AddDays(335);
        var asOf = at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var day = at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        // When
        var today = Build("--target=Certs").EnsureSuccess("Certs");
        var later = Build("--target=Certs", $"--pki_asof={asOf}").EnsureSuccess("Certs --pki_asof");
        var renew = Build("--target=Pki", $"--pki_asof={asOf}").EnsureSuccess("Pki --pki_asof");
        var after = Build("--target=Certs", $"--pki_asof={asOf}").EnsureSuccess("Certs --pki_asof after the renewal");
        var bad = Build("--target=Pki", "--pki_renew=apiserver,etcd-sever");

        // Then
        Assert.Contains("NODE k8s-01 (etcd, control-plane, worker)", today.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"/etc/kubernetes/pki/apiserver\.crt\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+364d\s+ca\s+bundle", today.Stdout);
        Assert.DoesNotContain("WARNING:", today.Output, StringComparison.Ordinal);
        Assert.Contains($"residual time as of {at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC (--pki_asof)", later.Stdout, StringComparison.Ordinal);
        Assert.Contains("WARNING: /etc/kubernetes/pki/apiserver.crt on k8s-01, k8s-02, k8s-03 expires", later.Output, StringComparison.Ordinal);
        Assert.Contains($"--target=Bundle --pki_asof={asOf}", later.Output, StringComparison.Ordinal);
        Assert.Contains($"within pki.renewBeforeDays (30) of {day} (--pki_asof)", renew.Stdout, StringComparison.Ordinal);
        Assert.Contains("(0 created, 22 re-issued, 0 imported, 3 reused)", renew.Stdout, StringComparison.Ordinal);
        Assert.Contains($"window as of {day} (--pki_asof); nodes whose files changed (run Bundle, install their new bundles): k8s-01, k8s-02, k8s-03", renew.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING: /etc/kubernetes/pki/", after.Output, StringComparison.Ordinal);
        var record = PkiRenewalRecord.Read(dir.Combine("artifacts", "demo", PkiBuild.ManifestName))!;
        Assert.Equal(asOf, record.AsOf);
        Assert.Equal(22, record.Reissued.Count);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--pki_renew=etcd-sever: no such certificate", bad.Output, StringComparison.Ordinal);
    }
}
