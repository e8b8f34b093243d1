namespace KubeAirgap.Tests.Support;

/// <summary>
/// The suite's trait for tests whose subject is a test fixture or harness tool rather than kube-airgap (the contract
/// fixtures standing in for the Kubernetes binaries, their generator, the VM test's checks, the host-tool check):
/// <c>[Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]</c>. The Test target counts them apart; run them
/// alone with <c>dotnet test --project tests/KubeAirgap.Tests --filter-trait "Category=FixtureSelfTest"</c>.
/// </summary>
public static class TestCategory
{
    public const string Name = "Category";

    public const string FixtureSelfTest = Build.Testing.TestReport.FixtureSelfTestTag;
}
