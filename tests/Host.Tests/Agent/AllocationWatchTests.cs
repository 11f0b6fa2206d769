using IstioPodNetwork.Host.Agent;

namespace IstioPodNetwork.Host.Tests.Agent;

public sealed class AllocationWatchTests
{
    private const long Quiet = AllocationWatch.QuietBytes;
    private const long Work = AllocationWatch.WorkBytes;

    [Fact]
    public void The_first_quiet_interval_after_start_up_returns_memory_however_little_start_up_allocated()
    {
        var watch = new AllocationWatch();

        Assert.True(watch.QuietAfterWork(Quiet));
    }

    [Fact]
    public void No_memory_is_returned_while_the_agent_keeps_allocating_more_than_a_quiet_interval_allows()
    {
        var watch = new AllocationWatch();
        var allocated = 0L;

        for (var interval = 0; interval < 10; interval++)
        {
            allocated += Quiet + 1;
            Assert.False(watch.QuietAfterWork(allocated), $"returned during busy interval {interval}");
        }

        Assert.True(watch.QuietAfterWork(allocated + Quiet), "the first quiet interval after the work");
    }

    [Fact]
    public void After_a_return_only_enough_new_work_followed_by_a_quiet_interval_returns_again()
    {
        var watch = new AllocationWatch();
        var allocated = Quiet;
        Assert.True(watch.QuietAfterWork(allocated));

        // Quiet intervals that add up to less than the work threshold: the agent at rest.
        for (var interval = 0; interval < (Work / Quiet) - 1; interval++)
        {
            allocated += Quiet;
            Assert.False(watch.QuietAfterWork(allocated), $"returned again at rest, interval {interval}");
        }

        allocated += Work;
        Assert.False(watch.QuietAfterWork(allocated), "returned in the busy interval itself");
        Assert.True(watch.QuietAfterWork(allocated), "the quiet interval after the work");
    }
}
