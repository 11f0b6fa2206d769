using System.Reflection;
using System.Runtime.Loader;
using IstioPodNetwork.Host.Agent;

namespace IstioPodNetwork.Host.Tests.Agent;

/// <summary>
/// The environment variable DotNetty reads, checked against the DotNetty that ships: each check loads it afresh
/// (its choice is made once per load), so what a starting agent would get is what the check sees.
/// </summary>
public sealed class UnpooledRemotingBuffersTests : IDisposable
{
    private readonly string? before = Environment.GetEnvironmentVariable(UnpooledRemotingBuffers.Variable);

    public void Dispose() => Environment.SetEnvironmentVariable(UnpooledRemotingBuffers.Variable, before);

    [Fact]
    public void Installed_DotNettys_default_allocator_is_the_unpooled_one()
    {
        Environment.SetEnvironmentVariable(UnpooledRemotingBuffers.Variable, null);
        Assert.Equal("PooledByteBufferAllocator", DefaultAllocatorOfAFreshDotNetty());

        UnpooledRemotingBuffers.Install();

        Assert.Equal("UnpooledByteBufferAllocator", DefaultAllocatorOfAFreshDotNetty());
    }

    [Fact]
    public void A_choice_the_environment_already_makes_is_kept()
    {
        Environment.SetEnvironmentVariable(UnpooledRemotingBuffers.Variable, "pooled");

        UnpooledRemotingBuffers.Install();

        Assert.Equal("pooled", Environment.GetEnvironmentVariable(UnpooledRemotingBuffers.Variable));
        Assert.Equal("PooledByteBufferAllocator", DefaultAllocatorOfAFreshDotNetty());
    }

    private static string DefaultAllocatorOfAFreshDotNetty()
    {
        var context = new FreshDotNetty();
        try
        {
            var utilities = context.LoadFromAssemblyName(new AssemblyName("DotNetty.Buffers")).GetType("DotNetty.Buffers.ByteBufferUtil", throwOnError: true)!;
            var allocator = utilities.GetField("DefaultAllocator", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            return allocator.GetType().Name;
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>DotNetty's assemblies from beside the tests, with statics of their own; everything else shared.</summary>
    private sealed class FreshDotNetty() : AssemblyLoadContext(isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name is { } simple && simple.StartsWith("DotNetty.", StringComparison.Ordinal)
                ? LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, simple + ".dll"))
                : null;
    }
}
