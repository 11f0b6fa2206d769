using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using IstioPodNetwork.Host.Configuration;

namespace IstioPodNetwork.Host.Cli;

/// <summary>One flag per setting of the catalog, kept as text so every source is parsed and reported the same way.</summary>
public sealed class SettingOptions
{
    private readonly List<(Setting Setting, Option Option)> options = [];

    public static SettingOptions AddTo(Command command, IEnumerable<Setting>? settings = null)
    {
        var result = new SettingOptions();
        foreach (var setting in settings ?? SettingsCatalog.All)
        {
            var environment = string.Join(", ", setting.EnvironmentNames);
            Option option = setting.IsList
                ? new Option<string[]>("--" + SettingValues.Singular(setting.Key))
                {
                    Description = $"{setting.Description} Environment: {environment} (comma-separated).",
                    Arity = ArgumentArity.OneOrMore,
                    AllowMultipleArgumentsPerToken = false,
                }
                : new Option<string>(setting.FlagName)
                {
                    Description = $"{setting.Description} Environment: {environment}.",
                };
            command.Options.Add(option);
            result.options.Add((setting, option));
        }

        return result;
    }

    /// <summary>The flags given on this command line, by setting key.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Given(ParseResult parse)
    {
        var given = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (setting, option) in options)
        {
            var result = parse.GetResult(option);
            if (result is null || result.Implicit)
            {
                continue;
            }

            given[setting.Key] = result.Tokens.Select(t => t.Value).ToList();
        }

        return given;
    }

    /// <summary>
    /// Builds a tool's settings from the HOCON.conf next to the binary, the environment and these flags; when one
    /// is invalid, writes one line per problem to the command's error output and returns false (exit code 2).
    /// </summary>
    public bool TryBuild<T>(ParseResult parse, Func<SettingValues, T> build, [MaybeNullWhen(false)] out T value)
    {
        try
        {
            value = SettingValues.Build(LayeredConfig.Load(LayeredConfig.DefaultBaseFile, null), SettingValues.ProcessEnvironment(), Given(parse), build);
            return true;
        }
        catch (SettingsException e)
        {
            foreach (var problem in e.Problems)
            {
                parse.InvocationConfiguration.Error.WriteLine("ipnc: " + problem);
            }

            value = default;
            return false;
        }
    }
}
