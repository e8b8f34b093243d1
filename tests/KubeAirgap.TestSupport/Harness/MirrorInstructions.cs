namespace KubeAirgap.TestSupport.Harness;

/// <summary>What the Mirror target prints: the Bundle command that uses the running mirror, quoted for a shell, and how to stop it.</summary>
public static class MirrorInstructions
{
    /// <summary>The one argument that is for tests: why it is there (the user reads it before copying the command).</summary>
    public const string RelaxFlag = "--test_relaxsupportedversions=true";

    public static string Format(DemoPlan plan, string inventoryShown, bool inventoryGiven, string dir, IReadOnlyList<string> buildArguments,
        IReadOnlyList<string> images)
    {
        var cluster = inventoryGiven ? inventoryShown : plan.InventoryPath;
        var lines = new List<string>
        {
            $"Mirror: running for {plan.ClusterName} (Kubernetes {plan.KubernetesVersion}, arches {plan.ArchList}); content and pins in {dir}",
            "Build against it (no internet needed) with:",
            $"  ./build.sh --target=Bundle {Quote("--cluster=" + cluster)} \\",
        };
        lines.AddRange(buildArguments.Select((a, i) => $"    {Quote(a)}{(i < buildArguments.Count - 1 ? " \\" : string.Empty)}"));
        if (buildArguments.Contains(RelaxFlag))
        {
            lines.Add($"{RelaxFlag} is a test setting the mirror cannot do without: its containerd is Debian 12's 1.6.20, the only one");
            lines.Add("this machine can serve, and Kubernetes 1.36 needs containerd 2.x. Bundles from this mirror are TEST BUNDLEs, for trying");
            lines.Add("the pipeline: install.sh refuses them unless given --test-bundle.");
        }

        lines.Add("Images it serves (pin your own manifests' images by these digests; only hello is in no pin):");
        lines.AddRange(images.Select(i => "  " + i));
        lines.Add("Or let the Demo build and install a node with it: ./build.sh --target=Demo "
            + (inventoryGiven ? Quote("--cluster=" + inventoryShown) + " " : string.Empty) + Quote("--mirror_dir=" + dir));
        lines.Add($"Stop it with: ./build.sh --target=Mirror --mirror_stop{(dir.EndsWith("/artifacts/mirror", StringComparison.Ordinal) ? string.Empty : " " + Quote("--mirror_dir=" + dir))}");
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>A shell word: as is when it holds only safe characters, else in single quotes.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_=./:,@+%".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
