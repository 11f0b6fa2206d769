using System.Globalization;

namespace IstioPodNetwork.Cluster.Bench;

/// <summary>Which parts to run: (a) formation, (b) and (c) the clusters at rest.</summary>
[Flags]
internal enum BenchParts
{
    Formation = 1,
    AtRest = 2,
    All = Formation | AtRest,
}

/// <summary>The benchmark's command line: [--repetitions N] [--window SECONDS] [--only formation|at-rest] [--log FILE].</summary>
internal sealed record BenchSettings(int Repetitions, TimeSpan Window, BenchParts Parts, string? LogFile)
{
    /// <summary>The settings, or null after printing what was wrong.</summary>
    public static BenchSettings? Parse(IReadOnlyList<string> args)
    {
        var settings = new BenchSettings(3, TimeSpan.FromSeconds(60), BenchParts.All, null);
        for (var i = 0; i < args.Count; i += 2)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--repetitions" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1:
                    settings = settings with { Repetitions = count };
                    break;
                case "--window" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 30:
                    settings = settings with { Window = TimeSpan.FromSeconds(seconds) };
                    break;
                case "--only" when value is "formation" or "at-rest":
                    settings = settings with { Parts = value == "formation" ? BenchParts.Formation : BenchParts.AtRest };
                    break;
                case "--log" when !string.IsNullOrEmpty(value):
                    settings = settings with { LogFile = value };
                    break;
                default:
                    Console.Error.WriteLine($"Cluster.Bench: {args[i]} \"{value}\": expected --repetitions N (N ≥ 1), --window SECONDS (at least 30), --only formation|at-rest or --log FILE");
                    return null;
            }
        }

        return settings;
    }
}
