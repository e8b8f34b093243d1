using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Render;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Issue 17 item 4: a rebuild with nothing changed writes nothing. Byte-identical rewrites count as writes, so the
/// test compares every file's inode and mtime (nanoseconds) under the output, the state and the payload store
/// before and after.
/// </summary>
public sealed class NoOpRebuildTests
{
    [Fact]
    public void A_no_op_rebuild_leaves_every_mtime_and_inode_under_artifacts_and_state_unchanged()
    {
        // Given: a build as the Bundle task makes it: the signing key and the membership record in state/, then the set
        using var fixture = new SyntheticBundle();
        var state = fixture.Dir.Combine("state", "t");
        var output = fixture.Dir.Combine("artifacts", "t");
        BundleBuilder.Result Build()
        {
            var (signer, _) = BundleSigner.LoadOrCreate(Path.Combine(state, "bundle-signing.key"));
            var members = KubeAirgap.Day2.Membership.Next(KubeAirgap.Day2.Membership.Load(state), BundleBuilder.PreviousManifest(output)?.ToWorld(), fixture.Spec);
            members.Save(state);
            return BundleBuilder.Build(fixture.Request("artifacts/t", signer) with { Members = members, DigestCacheFile = Path.Combine(state, "bundle-digests.tsv") });
        }

        Build();
        var before = Snapshot(fixture.Dir.Path);
        Assert.Contains(before, f => f.Path.EndsWith("SHA256SUMS", StringComparison.Ordinal));
        Assert.Contains(before, f => f.Path.EndsWith("members.json", StringComparison.Ordinal));
        Assert.Contains(before, f => f.Path.EndsWith("bundle-digests.tsv", StringComparison.Ordinal));

        // When: the same build again
        var again = Build();

        // Then: every tarball kept, no byte written, and no file replaced or touched (inode, mtime, size)
        Assert.Equal(fixture.Spec.Nodes.Count, again.TarballsKept);
        Assert.Equal(0, again.BytesWritten);
        var after = Snapshot(fixture.Dir.Path);
        Assert.Equal(before.Select(f => f.ToString()), after.Select(f => f.ToString()));
    }

    [Fact]
    public void A_rebuild_after_a_change_rewrites_only_what_changed()
    {
        // the snapshot is able to see a write: one node's file changed, its tarball and the set's files change, the others do not
        using var fixture = new SyntheticBundle();
        fixture.Build("artifacts/t");
        var before = Snapshot(fixture.Dir.Combine("artifacts")).ToDictionary(f => f.Path);

        fixture.ChangeNodeFile("n02");
        fixture.Build("artifacts/t");

        var changed = Snapshot(fixture.Dir.Combine("artifacts")).Where(f => !before.TryGetValue(f.Path, out var old) || old != f).Select(f => Path.GetFileName(f.Path)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["SHA256SUMS", "SHA256SUMS.sig", "bundle-manifest.json", "t-n02-amd64.tar.gz"], changed);
    }

    [Fact]
    public void Rendering_the_same_tree_again_touches_no_file()
    {
        using var dir = new TempDirectory("kag-noop-render");
        var tree = dir.Combine("nodes", "n1");
        RenderedFile[] files = [new("etc/a.conf", 0x1A4, "a\n"), new("etc/kubernetes/b.kubeconfig", 0x180, "b\n")];
        Assert.Equal(2, TreeWriter.Write(tree, files));
        var before = Snapshot(dir.Path);

        Assert.Equal(0, TreeWriter.Write(tree, files));

        Assert.Equal(before.Select(f => f.ToString()), Snapshot(dir.Path).Select(f => f.ToString()));
    }

    [Fact]
    public void The_atomic_writer_keeps_a_file_with_the_same_bytes_and_replaces_one_with_other_bytes()
    {
        using var dir = new TempDirectory("kag-atomic");
        var path = dir.Combine("state", "f");
        Assert.True(AtomicFile.WriteIfChanged(path, "one"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var first = Snapshot(dir.Path);

        Assert.False(AtomicFile.WriteIfChanged(path, "one"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.Equal(first.Select(f => f.ToString()), Snapshot(dir.Path).Select(f => f.ToString()));

        Assert.True(AtomicFile.WriteIfChanged(path, "two"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.Equal("two", File.ReadAllText(path));
        Assert.NotEqual(first.Single().Inode, Snapshot(dir.Path).Single().Inode);
        Assert.Single(Directory.GetFiles(dir.Combine("state")));
    }

    /// <summary>A file's identity and last write as find(1) reports them.</summary>
    private sealed record Stat(string Path, string Inode, string Mtime, string Size)
    {
        public override string ToString() => $"{Path} inode={Inode} mtime={Mtime} size={Size}";
    }

    /// <summary>Every file under <paramref name="root"/> with inode, mtime (ns) and size, sorted by path.</summary>
    private static IReadOnlyList<Stat> Snapshot(string root) =>
        Cmd.Run("find", root, "-type", "f", "-printf", "%p\t%i\t%T@\t%s\n").EnsureSuccess("find").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Select(p => new Stat(p[0], p[1], p[2], p[3]))
            .OrderBy(s => s.Path, StringComparer.Ordinal)
            .ToList();
}
