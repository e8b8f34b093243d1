using KubeAirgap.Diagnostics;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch;

/// <summary>What pins.yaml may say (finding 8) and what the shipped one says (issue 18).</summary>
public sealed class PinsTrustTests
{
    [Theory]
    [InlineData("4755")]
    [InlineData("2755")]
    [InlineData("0777")]
    [InlineData("0666")]
    public void Finding8_Pins_Accept_Only_Modes_0644_0755_0600(string mode)
    {
        // Given the shipped pins with runc's mode changed
        var text = File.ReadAllText(Repo.File("pins.yaml"));
        var at = text.IndexOf("path: bin/runc\n      mode: '0755'", StringComparison.Ordinal);
        text = text[..at] + $"path: bin/runc\n      mode: '{mode}'" + text[(at + "path: bin/runc\n      mode: '0755'".Length)..];
        var line = text[..at].Count(c => c == '\n') + 2;
        var diagnostics = new DiagnosticBag();

        // When
        PinsLoader.Parse(text, diagnostics, "pins.yaml");

        // Then: refused with file and line
        var error = Assert.Single(diagnostics.Errors);
        Assert.Equal("pins.yaml", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains($"'{mode}' is not an allowed file mode", error.Message, StringComparison.Ordinal);
        Assert.Contains("0644, 0755, 0600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Issue18_Every_Shipped_Pin_Has_A_Checksum_Or_Is_Marked_For_Trust_On_First_Use()
    {
        // When
        var pins = PinsLoader.LoadValid(Repo.File("pins.yaml"));

        // Then: every artifact has a checksum; every image a digest or the tofu marker
        Assert.All(pins.Components.SelectMany(c => c.Artifacts.Select(a => (c, a))), x =>
            Assert.True(x.a.Value.HasChecksum, $"{x.c.Name} {x.c.Version} ({x.a.Key}) has no checksum"));
        Assert.All(pins.Images, i => Assert.True(i.Digest is not null || i.IsTofu, $"{i.Ref}: neither a digest nor digestSource: tofu"));
        Assert.All(pins.Images.Where(i => i.Digest is not null), i => Assert.False(string.IsNullOrWhiteSpace(i.DigestSource), $"{i.Ref}: digest without digestSource"));
    }

    [Fact]
    public void Issue18_Calico_Manifest_Is_Pinned_To_The_Upstream_Blob()
    {
        // When
        var pins = PinsLoader.LoadValid(Repo.File("pins.yaml"));

        // Then: the sha256 of projectcalico/calico manifests/calico.yaml at tag v3.31.7 (upstream-pins.md)
        var calico = pins.Find("calico-manifest", "3.31.7")!.For("noarch")!;
        Assert.Equal("d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d", calico.Sha256);
        Assert.Contains("94bd1d5b0e04", calico.Source, StringComparison.Ordinal);
    }
}
