using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace IstioPodNetwork.Kube;

/// <summary>Reads the files the kubelet writes for a downwardAPI volume.</summary>
public static class DownwardApi
{
    /// <summary>
    /// Parses a <c>metadata.annotations</c> file: one <c>key="value"</c> per line,
    /// the value quoted as Go's strconv.Quote does. Lines that do not parse are skipped.
    /// </summary>
    public static ImmutableDictionary<string, string> ParseAnnotations(string text)
    {
        var annotations = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var value = Unquote(line[(equals + 1)..].TrimEnd('\r'));
            if (value is not null)
            {
                annotations[line[..equals]] = value;
            }
        }

        return annotations.ToImmutable();
    }

    private static string? Unquote(string quoted)
    {
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"')
        {
            return null;
        }

        var text = new StringBuilder(quoted.Length);
        for (var i = 1; i < quoted.Length - 1; i++)
        {
            var c = quoted[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            if (++i >= quoted.Length - 1)
            {
                return null;
            }

            switch (quoted[i])
            {
                case 'n': text.Append('\n'); break;
                case 't': text.Append('\t'); break;
                case 'r': text.Append('\r'); break;
                case '"': text.Append('"'); break;
                case '\\': text.Append('\\'); break;
                case 'u' when i + 4 < quoted.Length - 1 && ushort.TryParse(quoted.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    text.Append((char)code);
                    i += 4;
                    break;
                case 'x' when i + 2 < quoted.Length - 1 && byte.TryParse(quoted.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b):
                    text.Append((char)b);
                    i += 2;
                    break;
                default:
                    text.Append(quoted[i]);
                    break;
            }
        }

        return text.ToString();
    }
}
