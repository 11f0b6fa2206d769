using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using IstioPodNetwork.Actors.Commands;

namespace IstioPodNetwork.Host.Commands;

public enum OutputFormat
{
    Text,
    Json,
}

/// <summary>
/// An operator command as typed: `ipnc [HOST:PORT] [-o text|json] [--endpoint HOST:PORT] COMMAND [ARGS]`.
/// The client reads only the endpoint, the output format and -h/--help; the
/// agent interprets the rest (<see cref="Args"/>) against the commands it offers.
/// </summary>
public sealed record OperatorCommandLine(DnsEndPoint Endpoint, OutputFormat Output, ImmutableArray<string> Args)
{
    /// <summary>
    /// Whether <paramref name="args"/> are for an agent rather than a local verb: they
    /// start with HOST:PORT, with a client option, or with a word no local verb has.
    /// </summary>
    public static bool IsOperatorCommand(IReadOnlyList<string> args, IEnumerable<string> localVerbs)
    {
        if (args.Count == 0)
        {
            return false;
        }

        var first = args[0];
        if (TryParseEndpoint(first, out _))
        {
            return true;
        }

        return first.StartsWith('-')
            ? first is "-o" or "--output" or "--endpoint" || first.StartsWith("--output=", StringComparison.Ordinal) || first.StartsWith("--endpoint=", StringComparison.Ordinal)
            : !localVerbs.Contains(first, StringComparer.Ordinal);
    }

    /// <summary>Reads the client's part of the line; a <see cref="CommandUsageException"/> when it is wrong.</summary>
    /// <param name="defaultPort">The agent's command port here, asked only when no endpoint is given.</param>
    public static OperatorCommandLine Parse(IReadOnlyList<string> args, Func<int> defaultPort)
    {
        DnsEndPoint? endpoint = null;
        var output = OutputFormat.Text;
        var help = false;
        var rest = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = args[i].StartsWith("--", StringComparison.Ordinal) && args[i].IndexOf('=', StringComparison.Ordinal) is var at and > 2
                ? (args[i][..at], args[i][(at + 1)..])
                : (args[i], null);
            switch (name)
            {
                case "-o" or "--output":
                    var format = inline ?? Value(args, ref i, name);
                    output = Enum.TryParse<OutputFormat>(format, ignoreCase: true, out var parsed) && !char.IsAsciiDigit(format[0])
                        ? parsed
                        : throw new CommandUsageException($"invalid value '{format}' for --output: expected text or json");
                    break;
                case "--endpoint":
                    endpoint = OnlyEndpoint(endpoint, inline ?? Value(args, ref i, name));
                    break;
                case "-h" or "--help":
                    help = true;
                    break;
                default:
                    if (i == 0 && TryParseEndpoint(args[i], out var leading))
                    {
                        endpoint = leading;
                    }
                    else
                    {
                        rest.Add(args[i]);
                    }

                    break;
            }
        }

        var words = rest.ToImmutable();
        return new OperatorCommandLine(
            endpoint ?? new DnsEndPoint(IPAddress.Loopback.ToString(), defaultPort()),
            output,
            help ? ["help", .. words.TakeWhile(w => !w.StartsWith('-'))] : words);
    }

    /// <summary>HOST:PORT with a host name, an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535.</summary>
    public static bool TryParseEndpoint(string text, [NotNullWhen(true)] out DnsEndPoint? endpoint)
    {
        endpoint = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out _))
            {
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            return false;
        }

        endpoint = new DnsEndPoint(host, port);
        return true;
    }

    private static DnsEndPoint OnlyEndpoint(DnsEndPoint? earlier, string text)
    {
        if (!TryParseEndpoint(text, out var endpoint))
        {
            throw new CommandUsageException($"invalid value '{text}' for --endpoint: expected HOST:PORT such as 127.0.0.1:9110");
        }

        return earlier is null
            ? endpoint
            : throw new CommandUsageException($"the agent's endpoint is given twice ({earlier.Host}:{earlier.Port} and {text})");
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string option) =>
        i + 1 < args.Count ? args[++i] : throw new CommandUsageException($"option {option} needs a value");
}
