namespace KubeAirgap.Roles;

/// <summary>What a node runs. The guide's topology gives every node all three.</summary>
public enum NodeRole
{
    Etcd,
    ControlPlane,
    Worker,
}

public static class NodeRoles
{
    public static readonly IReadOnlyDictionary<string, NodeRole> ByName = new Dictionary<string, NodeRole>(StringComparer.Ordinal)
    {
        ["etcd"] = NodeRole.Etcd,
        ["control-plane"] = NodeRole.ControlPlane,
        ["worker"] = NodeRole.Worker,
    };

    public static string Name(this NodeRole role) => role switch
    {
        NodeRole.Etcd => "etcd",
        NodeRole.ControlPlane => "control-plane",
        NodeRole.Worker => "worker",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
