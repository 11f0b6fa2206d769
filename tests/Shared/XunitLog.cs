using Xunit.Abstractions;

namespace IstioPodNetwork.Testing;

/// <summary>A test's output helper as the plain log sink the xunit-free helpers take.</summary>
public static class XunitLog
{
    public static Action<string>? To(ITestOutputHelper? output) => output is null ? null : line =>
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test already finished; its output helper no longer accepts lines.
        }
    };
}
