using KubeAirgap.Diagnostics;
using static KubeAirgap.Tests.Cluster.InventoryFixture;

namespace KubeAirgap.Tests.Cluster;

/// <summary>
/// Issue 15 finding 11: Validate accepted data paths such as /, /var, /var/* and paths with spaces, and
/// uninstall --purge then deleted foreign data. Each bad value is now an error at its file:line:column.
/// </summary>
public sealed class DataPathFindingTests
{
    [Theory]
    [InlineData("etcdDataDir", "/", "is a system directory")]
    [InlineData("etcdDataDir", "/var", "is a system directory")]
    [InlineData("k8sDir", "/var/lib", "is a system directory")]
    [InlineData("containerdDir", "/etc", "is a system directory")]
    [InlineData("prefix", "/usr/local", "is a system directory")]
    [InlineData("etcdWalDir", "/home", "is a system directory")]
    [InlineData("etcdDataDir", "/var/*", "contains *: only letters")]
    [InlineData("k8sDir", "/data/k8s/{a,b}", "contains {,}: only letters")]
    [InlineData("containerdDir", "/data/k8s/contai?erd", "contains ?: only letters")]
    [InlineData("etcdDataDir", "'/data/my etcd'", "contains whitespace")]
    [InlineData("etcdDataDir", "data/etcd", "is not an absolute path")]
    [InlineData("k8sDir", "/data/k8s/../../etc", "is not a normalised path")]
    [InlineData("k8sDir", "/data/k8s/", "is not a normalised path")]
    public void Finding11_validate_refuses_a_bad_data_path_at_its_file_line_and_column(string key, string value, string message)
    {
        var (_, diagnostics) = Check(With("  keyAlgorithm: rsa-2048", $"  keyAlgorithm: rsa-2048\npaths:\n  {key}: {value}"));

        var match = diagnostics.FirstOrDefault(d => d.Severity == Severity.Error && d.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(match is not null, $"no error containing '{message}' in:\n{string.Join("\n", diagnostics)}");
        Assert.Contains($"cluster.yaml:18:{5 + key.Length} paths.{key}", match!.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/var/lib/etcd")]
    [InlineData("/data/k8s/etcd/data")]
    [InlineData("/srv/kube-airgap/etcd")]
    [InlineData("/opt/kube-airgap")]
    public void Finding11_a_directory_of_its_own_below_a_system_directory_is_accepted(string value) =>
        Assert.Null(KubeAirgap.Cluster.ClusterValidator.DataPathProblem(value));
}
