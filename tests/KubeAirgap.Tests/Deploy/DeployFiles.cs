using KubeAirgap.Cluster;
using KubeAirgap.Deploy;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Deploy;

/// <summary>Writes deploy/ for a spec into a temp artifacts directory with the repository's templates, and runs
/// Debian's ansible-core tools on it.</summary>
public static class DeployFiles
{
    public static DeployWriter.Result Write(ClusterSpec spec, string outputDir, bool fleet = false) =>
        DeployWriter.Write(new DeployRequest(spec, outputDir, Repo.File("templates"), fleet));

    /// <summary>ansible's tools with a clean configuration: no user config, no colours, this directory's ansible.cfg.</summary>
    public static Cmd.Result Ansible(string tool, IEnumerable<string> args, string workingDirectory, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["ANSIBLE_NOCOLOR"] = "1",
            ["ANSIBLE_FORCE_COLOR"] = "0",
            ["ANSIBLE_LOCAL_TEMP"] = Path.Combine(workingDirectory, ".ansible-local"),
            ["ANSIBLE_REMOTE_TEMP"] = Path.Combine(workingDirectory, ".ansible-remote"),
            ["ANSIBLE_HOME"] = Path.Combine(workingDirectory, ".ansible-home"),
        };
        return Cmd.Run(tool, args, workingDirectory, env, timeout: timeout);
    }

    /// <summary>A node with the given roles at 127.0.2.N.</summary>
    public static NodeSpec Node(string name, int n, params NodeRole[] roles) => new(name, $"127.0.2.{n}", "amd64", roles.ToHashSet());
}
