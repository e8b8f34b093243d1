using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Oci;

namespace KubeAirgap.Tests.Images;

/// <summary>The one image-reference grammar (distribution/reference's), as Validate, Images and VerifyBundle read it.</summary>
public sealed class ImageReferenceGrammarTests
{
    [Theory]
    [InlineData("registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10.2")]
    [InlineData("calico/node:v3.31.7", "docker.io/calico/node:v3.31.7")]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("localhost:5000/team/app:1.0", "localhost:5000/team/app:1.0")]
    [InlineData("[::1]:5000/app:1.0", "[::1]:5000/app:1.0")]
    [InlineData("Registry.Example.com/app__x/a--b.c:v1_0", "Registry.Example.com/app__x/a--b.c:v1_0")]
    [InlineData("index.docker.io/library/nginx:1.29", "docker.io/library/nginx:1.29")]
    [InlineData("quay.io/x/y:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "quay.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Should_read_a_reference_and_name_it_as_containerd_looks_it_up(string text, string canonical) =>
        Assert.Equal(canonical, ImageReference.Parse(text).Canonical);

    [Theory]
    [InlineData("registry.example.com/MyApp:1.0")]
    [InlineData("calico/Node:v1")]
    [InlineData("registry.example.com/app:")]
    [InlineData("registry.example.com/app:-bad")]
    [InlineData("registry.example.com//app")]
    [InlineData("registry.example.com/app.")]
    [InlineData("registry.example.com/_app")]
    [InlineData("-registry.example.com/app")]
    [InlineData("registry.example.com/app@sha256:abc")]
    [InlineData("registry.example.com/app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Should_refuse_what_the_distribution_grammar_refuses(string text)
    {
        Assert.False(ImageReference.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(text));
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_name_longer_than_255_characters()
    {
        var name = "registry.example.com/" + string.Join('/', Enumerable.Repeat("abcdefghij", 24));

        Assert.True(name.Length > ImageReference.NameTotalLengthMax);
        Assert.False(ImageReference.TryParse(name + ":1.0", out _));
    }
}
