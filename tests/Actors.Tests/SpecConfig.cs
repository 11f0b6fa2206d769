using Akka.Configuration;
using Akka.TestKit.Configs;

namespace IstioPodNetwork.Actors.Tests;

/// <summary>The ActorSystem configuration every spec here starts from.</summary>
internal static class SpecConfig
{
    /// <summary>
    /// make test runs this suite beside the integration tests on two cores, where a condition
    /// met in milliseconds alone can take seconds; the default bound only limits how long a
    /// failing wait lasts, a passing one returns as soon as its condition holds.
    /// </summary>
    public static readonly Config LoadTolerant = ConfigurationFactory.ParseString("akka.test.single-expect-default = 15s");

    /// <summary><see cref="LoadTolerant"/> with virtual time: specs move the clock themselves.</summary>
    public static readonly Config WithTestScheduler = LoadTolerant.WithFallback(TestConfigs.TestSchedulerConfig);
}
