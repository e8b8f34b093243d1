using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Cluster;

/// <summary>
/// etcd.heartbeatIntervalMs / etcd.electionTimeoutMs: they reach etcd's unit, and what etcd itself would refuse at
/// start (embed/config.go: election at least 5x heartbeat, at most 50000 ms) is refused at Validate, naming the line.
/// </summary>
public sealed class EtcdTimingTests
{
    [Theory]
    [InlineData(null, null, "--heartbeat-interval=250", "--election-timeout=2000")]
    [InlineData(1000, 10000, "--heartbeat-interval=1000", "--election-timeout=10000")]
    public void Should_render_the_inventory_timing_into_the_etcd_unit(int? heartbeat, int? election, string heartbeatFlag, string electionFlag)
    {
        // Given: an etcd node, with the inventory's timing or the defaults
        var spec = RenderFixture.Inventory(["10.0.0.1"]);
        if (heartbeat is { } h && election is { } e)
        {
            spec = spec with { Etcd = spec.Etcd with { HeartbeatIntervalMs = h, ElectionTimeoutMs = e } };
        }

        // When
        var unit = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Content("etc/systemd/system/etcd.service");

        // Then
        Assert.Contains(heartbeatFlag + " \\", unit, StringComparison.Ordinal);
        Assert.Contains(electionFlag, unit, StringComparison.Ordinal);
        Assert.DoesNotContain(ClusterValidator.Validate(spec), d => d.Severity == Severity.Error);
    }

    [Theory]
    [InlineData("heartbeatIntervalMs: 250\n  electionTimeoutMs: 1000", "electionTimeoutMs: 1000", "etcd.electionTimeoutMs", "below 5 x --heartbeat-interval")]
    [InlineData("electionTimeoutMs: 60000", "electionTimeoutMs: 60000", "etcd.electionTimeoutMs", "above 50000 ms")]
    [InlineData("heartbeatIntervalMs: 0", "heartbeatIntervalMs: 0", "etcd.heartbeatIntervalMs", "must be > 0")]
    public void Should_refuse_timing_that_etcd_would_refuse_naming_the_field_and_line(string settings, string lineText, string field, string message)
    {
        // Given: the shipped inventory with etcd timing appended
        var yaml = File.ReadAllText(Repo.File("cluster.yaml")) + $"\netcd:\n  {settings}\n";
        using var temp = new TempDirectory("kag-etcd-timing");
        var path = temp.Combine("cluster.yaml");
        File.WriteAllText(path, yaml);

        // When
        var error = Assert.Throws<InputException>(() => ClusterLoader.LoadValid(path));

        // Then
        var line = Array.FindIndex(yaml.Split('\n'), l => l.Trim() == lineText) + 1;
        var text = string.Join("\n", error.Diagnostics.Select(d => d.ToString()));
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Contains(field, text, StringComparison.Ordinal);
        Assert.True(text.Contains($"cluster.yaml:{line}:", StringComparison.Ordinal), $"line {line} not named in: {text}");
    }
}
