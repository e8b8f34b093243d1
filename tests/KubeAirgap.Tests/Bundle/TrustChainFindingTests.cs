using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;
using KubeAirgap.Bundle.Verification;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Layout;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Regression tests for issue 15 (findings 1, 8 and 10, build side) and issue 14 point 11, one per finding, each
/// against real files and GNU tar: staged bytes are checked against their pins up to the tarball, unsafe archive
/// members are refused, secrets are not world-readable on the build host, and no binary of another arch is bundled.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TrustChainFindingTests
{
    [Fact]
    public void Finding01_a_changed_staged_runc_and_a_planted_file_are_refused_naming_both()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var payload = fixture.FirstPayload;
        File.WriteAllText(Path.Combine(payload, "bin", "runc"), "#!/bin/sh\necho not the pinned runc\n");
        File.WriteAllText(Path.Combine(payload, "bin", "zz-planted"), "planted\n");

        var error = Assert.Throws<InvalidDataException>(() => fixture.Build());

        Assert.Matches(@"bin/runc: sha256 [0-9a-f]{64}, but it was staged as [0-9a-f]{64} from runc 1\.4\.3 \(amd64, sha256:", error.Message);
        Assert.Contains("bin/zz-planted: no pinned layout accounts for it", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(fixture.Dir.Combine("out")) && Directory.EnumerateFiles(fixture.Dir.Combine("out"), "*.tar.gz").Any());
    }

    [Fact]
    public void Finding01_a_swapped_layer_in_the_staged_image_archive_is_refused_naming_the_blob()
    {
        // the archive is no pinned artifact (Images writes it): its blobs are what vouches for it, each named by its
        // sha256; a layer swapped after staging keeps its name and must not reach a tarball
        using var fixture = new SyntheticBundle(nodes: 1);
        var archive = Path.Combine(fixture.FirstPayload, "images", "images.oci.tar");
        var swapped = archive + ".swapped";
        string layer;
        using (var input = File.OpenRead(archive))
        using (var reader = new System.Formats.Tar.TarReader(input))
        using (var output = File.Create(swapped))
        using (var writer = new System.Formats.Tar.TarWriter(output, System.Formats.Tar.TarEntryFormat.Ustar))
        {
            layer = string.Empty;
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                // one blob swapped (the archive holds config, manifest and layer blobs of several images)
                if (layer.Length == 0 && entry.Name.StartsWith("blobs/sha256/", StringComparison.Ordinal))
                {
                    layer = entry.Name;
                    entry.DataStream = new MemoryStream("a planted layer"u8.ToArray());
                }

                writer.WriteEntry(entry);
            }
        }

        File.Move(swapped, archive, overwrite: true);

        var error = Assert.Throws<InvalidDataException>(() => fixture.Build());

        Assert.StartsWith("blobs/sha256/", layer, StringComparison.Ordinal);
        Assert.True(error.Message.Contains($"{archive}: {layer} hashes to sha256:", StringComparison.Ordinal), error.Message);
        Assert.Contains("not to its name", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(fixture.Dir.Combine("out")) && Directory.EnumerateFiles(fixture.Dir.Combine("out"), "*.tar.gz").Any());
    }

    [Fact]
    public void Finding01_a_staged_file_recorded_from_another_artifact_than_the_pinned_one_is_refused()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var ledger = PayloadLedger.FileOf(fixture.FirstPayload);
        var etcd = SyntheticBundle.Pins.Find("etcd", "3.6.14")!.For("amd64")!.Sha256!;
        File.WriteAllText(ledger, File.ReadAllText(ledger).Replace(etcd, new string('e', 64), StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => fixture.Build());

        Assert.Contains($"bin/etcd: staged from etcd 3.6.14 (amd64, sha256:{new string('e', 64)}), but pins.yaml pins etcd 3.6.14 (amd64, sha256:{etcd})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding01_verify_bundle_checks_plain_file_binaries_against_pins_yaml()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        fixture.Build();

        // The synthetic pins vouch for the synthetic kubelet; the repository's pins do not.
        Assert.Empty(BundleVerifier.Verify(fixture.Dir.Combine("out"), fixture.SyntheticPins).Single().Problems);
        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out"), SyntheticBundle.Pins).Single().Problems;
        var kubelet = SyntheticBundle.Pins.Find("kubelet", fixture.Spec.KubernetesVersion)!.For("amd64")!.Sha256;
        Assert.Contains(problems, p => p.StartsWith("bin/kubelet: sha256 ", StringComparison.Ordinal) && p.EndsWith($"pins.yaml pins kubelet {fixture.Spec.KubernetesVersion} (amd64) as {kubelet}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dotdot")]
    [InlineData("absolute")]
    [InlineData("hardlink")]
    [InlineData("fifo")]
    [InlineData("device")]
    public void Finding08_verify_bundle_refuses_unsafe_members_appended_with_gnu_tar(string kind)
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var built = fixture.Build();
        var tarball = fixture.Tarball(built, "n01");
        var old = built.Tarballs.Single().Sha256;
        var work = fixture.Dir.Combine("evil");
        Directory.CreateDirectory(work);
        var (script, expected) = kind switch
        {
            "dotdot" => ("echo evil > evil && tar -rPf b.tar --transform 's,^evil$,t-n01/../../etc/evil,' evil", "t-n01/../../etc/evil: member name with a '..' component"),
            "absolute" => ("echo evil > evil && tar -rPf b.tar --transform 's,^evil$,/etc/evil,' evil", "/etc/evil: absolute member name"),
            "hardlink" => ("echo x > shadow && ln shadow t-n01-shadow && tar -rPf b.tar --transform 's,^shadow$,/etc/shadow,' shadow t-n01-shadow", "t-n01-shadow: hard link to /etc/shadow"),
            "fifo" => ("mkfifo t-n01-fifo && tar -rf b.tar t-n01-fifo", "t-n01-fifo: FIFO"),
            _ => ("mknod t-n01-null c 1 3 && tar -rf b.tar t-n01-null", "t-n01-null: device node"),
        };
        Cmd.Bash($"set -euo pipefail; gzip -dc '{tarball}' > b.tar; {script}; gzip -n < b.tar > '{tarball}'", work).EnsureSuccess("tar");
        var sums = fixture.Dir.Combine("out", BundleRequest.SumsName);
        File.WriteAllText(sums, File.ReadAllText(sums).Replace(old, Sha256Hex.OfFile(tarball), StringComparison.Ordinal));

        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out")).Single().Problems;

        Assert.Contains(expected, problems);
    }

    [Fact]
    public void Finding08_bundle_refuses_a_symlinked_directory_in_a_node_tree_instead_of_packing_build_host_files()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var host = fixture.Dir.Combine("build-host-secrets");
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(host, "id_rsa"), "build host key\n");
        var link = Path.Combine(fixture.NodeTree("n01"), "etc", "kube-airgap", "linked");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        Directory.CreateSymbolicLink(link, host);

        var error = Assert.Throws<InvalidDataException>(() => fixture.Build());

        Assert.Contains($"{link}: a symbolic link (to {host})", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(fixture.Dir.Combine("out")) && Directory.EnumerateFiles(fixture.Dir.Combine("out"), "*.tar.gz").Any());
    }

    [Fact]
    public void Finding08_bundle_refuses_a_symlinked_top_level_folder_of_a_node_tree()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var addons = Path.Combine(fixture.NodeTree("n01"), "addons");
        var elsewhere = fixture.Dir.Combine("addons-elsewhere");
        Directory.Move(addons, elsewhere);
        Directory.CreateSymbolicLink(addons, elsewhere);

        var error = Assert.Throws<InvalidDataException>(() => fixture.Build());

        Assert.Contains($"{addons}: a symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding08_bundle_refuses_a_fifo_in_a_node_tree_with_its_path_instead_of_blocking_on_it()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var fifo = Path.Combine(fixture.NodeTree("n01"), "etc", "kube-airgap", "pipe");
        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // the guard only ends a hang (reading a FIFO blocks until a writer comes); the assertion is on the error
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Task.Run(() => fixture.Build(), TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken));

        Assert.Contains($"{fifo}: a FIFO; Bundle packs only regular files", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding10_the_output_directory_is_0700_and_tarballs_holding_secrets_are_0600()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var output = fixture.Dir.Combine("out");
        Directory.CreateDirectory(output);
        File.SetUnixFileMode(output, (UnixFileMode)0x1ED);
        var result = fixture.Build();

        Assert.Equal(OutputDirectory.Private, File.GetUnixFileMode(output));
        var tarball = result.Tarballs.Single().Path;
        Assert.Equal(OutputDirectory.Secret, File.GetUnixFileMode(tarball));
        Assert.Equal(OutputDirectory.Public, File.GetUnixFileMode(fixture.Dir.Combine("out", BundleRequest.SumsName)));
        Assert.Contains("pki/ca.key", Cmd.Run("tar", "-tzf", tarball).EnsureSuccess("tar -t").Stdout, StringComparison.Ordinal);

        // A tarball kept from an earlier build (inputs unchanged) is tightened as well.
        File.SetUnixFileMode(tarball, (UnixFileMode)0x1A4);
        Assert.Equal(1, fixture.Build().TarballsKept);
        Assert.Equal(OutputDirectory.Secret, File.GetUnixFileMode(tarball));
    }

    [Fact]
    public void Issue14_point11_bundle_refuses_an_elf_binary_of_another_arch_naming_the_file_and_both_arches()
    {
        using var fixture = new SyntheticBundle(nodes: 1, arch: "arm64");
        var kubelet = Path.Combine(fixture.FirstPayload, "bin", "kubelet");
        File.Copy(Cmd.Run("readlink", "-f", "/bin/true").EnsureSuccess("readlink").Stdout.Trim(), kubelet, overwrite: true);
        Assert.Contains("x86-64", Cmd.Run("file", "-L", kubelet).Stdout, StringComparison.Ordinal);
        fixture.Reseal();

        var error = Assert.Throws<InvalidDataException>(() => fixture.Build());

        Assert.Contains("bin/kubelet: an ELF binary for amd64, but the node arch is arm64 (ELF machine AArch64)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Issue14_point11_binaries_of_the_node_arch_and_scripts_are_accepted()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var kubelet = Path.Combine(fixture.FirstPayload, "bin", "kubelet");
        File.Copy(Cmd.Run("readlink", "-f", "/bin/true").EnsureSuccess("readlink").Stdout.Trim(), kubelet, overwrite: true);
        File.WriteAllText(Path.Combine(fixture.FirstPayload, "bin", "kubectl"), "#!/usr/bin/env python3\nprint('fixture')\n");
        fixture.Reseal();

        Assert.Single(fixture.Build().Tarballs);
        Assert.Equal((ushort)KubeAirgap.Nginx.ElfMachine.X86_64, ElfArch.MachineOf(kubelet));
        Assert.Null(ElfArch.MachineOf(Path.Combine(fixture.FirstPayload, "bin", "kubectl")));
    }
    [Fact]
    public void Issue14_point11_verify_bundle_reports_a_swapped_binary_of_another_arch_even_when_every_sum_matches()
    {
        using var fixture = new SyntheticBundle(nodes: 1, arch: "arm64");
        var result = fixture.Build();
        var outDir = fixture.Dir.Combine("out");
        Assert.Empty(BundleVerifier.Verify(outDir).Single().Problems);

        // an attacker (or a hand-made set) swaps the arm64 kubelet for an x86-64 binary and makes every sum agree
        var amd64 = File.ReadAllBytes(Cmd.Run("readlink", "-f", "/bin/true").EnsureSuccess("readlink").Stdout.Trim());
        SwapAndResum(outDir, result.Tarballs[0].Path, "bin/kubelet", amd64);

        var problems = BundleVerifier.Verify(outDir).Single().Problems;
        Assert.Equal(["bin/kubelet: an ELF binary for amd64, but the node arch is arm64 (ELF machine AArch64)"], problems);
    }

    /// <summary>Replaces the bytes of bundle file <paramref name="rel"/> in <paramref name="tarball"/> and rewrites the
    /// inner SHA256SUMS, bundle-manifest.json and the outer SHA256SUMS to match, as a forger of the set would.</summary>
    private static void SwapAndResum(string outDir, string tarball, string rel, byte[] bytes)
    {
        var newSha = Sha256Hex.Of(bytes);
        var oldTarballSha = Sha256Hex.OfFile(tarball);
        var entries = new List<(TarEntry Entry, byte[] Data)>();
        using (var input = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
        using (var reader = new TarReader(input))
        {
            while (reader.GetNextEntry(copyData: true) is { } e)
            {
                using var data = new MemoryStream();
                e.DataStream?.CopyTo(data);
                entries.Add((e, data.ToArray()));
            }
        }

        var swapped = entries.Single(e => e.Entry.EntryType == TarEntryType.RegularFile && e.Entry.Name.EndsWith("/" + rel, StringComparison.Ordinal) && !e.Entry.Name.StartsWith("t-n01/", StringComparison.Ordinal));
        var oldSha = Sha256Hex.Of(swapped.Data);
        var copy = tarball + ".new";
        var sums = Array.Empty<byte>();
        using (var output = new GZipStream(File.Create(copy), CompressionLevel.Fastest))
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar))
        {
            foreach (var (entry, data) in entries)
            {
                if (entry.Name == "t-n01/SHA256SUMS")
                {
                    sums = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(data).Replace($"{oldSha}  {rel}\n", $"{newSha}  {rel}\n", StringComparison.Ordinal));
                }

                var replaced = entry == swapped.Entry ? bytes : entry.Name == "t-n01/SHA256SUMS" ? sums : data;
                var rewritten = new UstarTarEntry(entry.EntryType, entry.Name)
                {
                    Mode = entry.Mode, Uid = entry.Uid, Gid = entry.Gid, ModificationTime = entry.ModificationTime,
                };
                if (entry.EntryType == TarEntryType.SymbolicLink)
                {
                    rewritten.LinkName = entry.LinkName;
                }
                else if (entry.EntryType == TarEntryType.RegularFile)
                {
                    rewritten.DataStream = new MemoryStream(replaced);
                }

                writer.WriteEntry(rewritten);
            }
        }

        File.Move(copy, tarball, overwrite: true);
        var tarballSha = Sha256Hex.OfFile(tarball);
        var manifestPath = Path.Combine(outDir, BundleRequest.ManifestName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var node = manifest["nodes"]![0]!;
        var file = node["files"]!.AsArray().Single(f => (string?)f!["path"] == rel)!;
        Assert.Equal(oldSha, (string?)file["sha256"]);
        file["sha256"] = newSha;
        file["size"] = bytes.LongLength;
        var sumsFile = node["files"]!.AsArray().Single(f => (string?)f!["path"] == "SHA256SUMS")!;
        sumsFile["sha256"] = Sha256Hex.Of(sums);
        sumsFile["size"] = sums.LongLength;
        node["sha256"] = tarballSha;
        node["size"] = new FileInfo(tarball).Length;
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        var outer = Path.Combine(outDir, BundleRequest.SumsName);
        Assert.Contains(oldTarballSha, File.ReadAllText(outer), StringComparison.Ordinal);
        File.WriteAllText(outer, File.ReadAllText(outer).Replace(oldTarballSha, tarballSha, StringComparison.Ordinal));
    }
}
