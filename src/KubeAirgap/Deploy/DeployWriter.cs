using System.Text;
using KubeAirgap.Bundle;
using KubeAirgap.Render;

namespace KubeAirgap.Deploy;

/// <summary>
/// Writes artifacts/&lt;cluster&gt;/deploy/: the Ansible inventory generated from cluster.yaml, the playbook that rolls
/// the bundles out, its ansible.cfg and a README, each rendered from templates/deploy/. A file whose bytes are already
/// there is left alone (no rewrite, same mtime and inode); a changed one is written to a temporary name and renamed.
/// </summary>
public static class DeployWriter
{
    /// <summary>Each written file: its template under templates/, and its mode.</summary>
    public static readonly IReadOnlyList<(string Name, string Template, UnixFileMode Mode)> Files =
    [
        ("inventory.yml", "deploy/inventory.yml.scriban", OutputDirectory.Public),
        ("playbook.yml", "deploy/playbook.yml.scriban", OutputDirectory.Public),
        ("ansible.cfg", "deploy/ansible.cfg.scriban", OutputDirectory.Public),
        ("README.md", "deploy/README.md.scriban", OutputDirectory.Public),
    ];

    public sealed record Result(string Dir, IReadOnlyList<string> Written, IReadOnlyList<string> Kept);

    public static Result Write(DeployRequest request)
    {
        var model = DeployModel.Of(request);
        var engine = new TemplateEngine(request.TemplatesDir);
        var rendered = Files.Select(f => (f.Name, Bytes: Encoding.UTF8.GetBytes(engine.Render(f.Template, model)), f.Mode)).ToList();

        OutputDirectory.Create(request.DeployDir);
        var written = new List<string>();
        var kept = new List<string>();
        foreach (var (name, bytes, mode) in rendered)
        {
            var path = Path.Combine(request.DeployDir, name);
            if (WriteIfChanged(path, bytes, mode))
            {
                written.Add(name);
            }
            else
            {
                kept.Add(name);
            }
        }

        return new Result(request.DeployDir, written, kept);
    }

    /// <summary>Writes <paramref name="content"/> atomically unless <paramref name="path"/> already holds exactly it
    /// with <paramref name="mode"/>; true when it wrote.</summary>
    public static bool WriteIfChanged(string path, byte[] content, UnixFileMode mode)
    {
        if (File.Exists(path) && Same(path, content))
        {
            if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) != mode)
            {
                OutputDirectory.SetMode(path, mode);
            }

            return false;
        }

        OutputDirectory.WriteAtomic(path, content, mode);
        return true;
    }

    private static bool Same(string path, byte[] content)
    {
        var info = new FileInfo(path);
        return info.Length == content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
    }
}
