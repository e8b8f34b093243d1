using KubeAirgap.TestSupport.Harness;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.E2E;

public sealed class HostToolsTests
{
    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class TheMissingMethod
    {
        [Fact]
        public void Should_report_every_tool_absent_from_the_search_path_with_its_package()
        {
            // Given: a search path that has qemu-img and ip only
            using var dir = new TempDirectory();
            dir.Write("bin/qemu-img", "#!/bin/sh\n");
            dir.Write("bin/ip", "#!/bin/sh\n");
            HostTools.Tool[] tools = [new("qemu-img", "qemu-utils"), new("ip", "iproute2"), new("debootstrap", "debootstrap"), new("mkfs.ext4", "e2fsprogs")];

            // When
            var missing = HostTools.Missing(tools, dir.Combine("bin"));

            // Then
            Assert.Equal(["debootstrap", "mkfs.ext4"], missing.Select(t => t.Command));
            Assert.Equal(
                "missing on this host: debootstrap, mkfs.ext4 (Debian packages: debootstrap e2fsprogs; run tests/install-test-deps.sh)",
                HostTools.Describe(missing));
        }

        [Fact]
        public void Should_find_every_vm_tool_on_this_machine()
        {
            // the test machine has run tests/install-test-deps.sh: the E2E target's table must match reality
            var missing = HostTools.Missing(HostTools.Vms, Environment.GetEnvironmentVariable("PATH") ?? string.Empty);

            Assert.True(missing.Count == 0, HostTools.Describe(missing));
        }
    }
}
