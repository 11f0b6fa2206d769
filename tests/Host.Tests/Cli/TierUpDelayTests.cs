using IstioPodNetwork.Host.Cli;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Host.Tests.Cli;

public sealed class TierUpDelayTests
{
    [Fact]
    public void The_image_sets_the_tier_up_delay_the_agent_would_restart_itself_with()
    {
        var environment = ImageEnvironment.Variables;

        Assert.True(environment.TryGetValue(TierUpDelay.Variable, out var value), $"deploy/Dockerfile sets no {TierUpDelay.Variable}: every agent in a DaemonSet would start the runtime twice");
        Assert.Equal(TierUpDelay.Value, value);
    }
}
