using IstioPodNetwork.Actors.Commands;

namespace IstioPodNetwork.Actors.Tests.Commands;

public sealed class MemberRolesSpecs
{
    [Fact]
    public void The_describing_roles_carry_the_node_name_and_the_UTC_start_time_to_the_second_and_skip_an_empty_node_name()
    {
        var roles = MemberRoles.Describing("node-a", new DateTimeOffset(2026, 11, 27, 12, 30, 15, 500, TimeSpan.FromHours(1)));

        Assert.Equal(["node:node-a", "since:2026-11-27T11:30:15Z"], roles.AsEnumerable());
        Assert.Equal(["since:2026-11-27T11:30:15Z"], MemberRoles.Describing(string.Empty, new DateTimeOffset(2026, 11, 27, 11, 30, 15, TimeSpan.Zero)).AsEnumerable());
    }
}
