using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Host.Tests.Build;

/// <summary>
/// Directory.Build.targets: the package assemblies that PrecompiledDependencies names are copied next to ipnc with
/// native code for this machine (ReadyToRun), the others as their packages ship them (IL only). Nothing else would
/// notice the precompilation silently stop: the agents would only start slower.
/// </summary>
public sealed class PrecompiledDependenciesTests
{
    /// <summary>A ReadyToRun image built for Linux marks its machine type so (the PE machine XOR this), so that Windows does not load it as native code.</summary>
    private const ushort LinuxMachineMark = 0x7B79;

    [Theory]
    [InlineData("Akka.dll")]
    [InlineData("Akka.Remote.dll")]
    [InlineData("Akka.Cluster.dll")]
    [InlineData("Akka.DistributedData.dll")]
    [InlineData("DotNetty.Common.dll")]
    [InlineData("DotNetty.Buffers.dll")]
    [InlineData("DotNetty.Transport.dll")]
    public void A_named_package_assembly_next_to_ipnc_carries_native_code_for_this_machines_architecture(string assembly)
    {
        using var image = Open(assembly);

        Assert.True(IsReadyToRun(image), $"{assembly} next to ipnc has no native code: Directory.Build.targets did not precompile it");
        var expected = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => Machine.Amd64,
            Architecture.Arm64 => Machine.Arm64,
            var other => throw new PlatformNotSupportedException($"no expectation for {other}"),
        };
        Assert.Equal(expected, (Machine)((ushort)image.PEHeaders.CoffHeader.Machine ^ LinuxMachineMark));
    }

    [Fact]
    public void A_package_assembly_not_named_is_copied_as_its_package_ships_it()
    {
        using var image = Open("Akka.Streams.dll");

        Assert.False(IsReadyToRun(image));
    }

    private static PEReader Open(string assembly) =>
        new(File.OpenRead(Path.Combine(Path.GetDirectoryName(Binaries.Ipnc)!, assembly)));

    private static bool IsReadyToRun(PEReader image) => image.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
}
