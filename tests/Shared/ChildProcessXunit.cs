using Xunit.Abstractions;

namespace IstioPodNetwork.Testing;

public sealed partial class ChildProcess
{
    /// <summary>Starts <paramref name="fileName"/>, writing its lines to the test's output.</summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        ITestOutputHelper? output = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? label = null) =>
        Start(fileName, arguments, XunitLog.To(output), environment, label);
}
