namespace IstioPodNetwork.Host.Configuration;

/// <summary>Settings that cannot be used; each problem is one line naming the setting, the value and what was expected.</summary>
public sealed class SettingsException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
