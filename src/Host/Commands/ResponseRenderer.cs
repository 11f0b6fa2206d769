using IstioPodNetwork.Actors.Commands;

namespace IstioPodNetwork.Host.Commands;

/// <summary>Prints an agent's answer as it arrives, in the format the operator asked for.</summary>
public abstract class ResponseRenderer
{
    public static ResponseRenderer For(OutputFormat format, TextWriter output) =>
        format == OutputFormat.Json ? new JsonRenderer(output) : new TextRenderer(output);

    /// <summary>One result record (never a notice or the end record).</summary>
    public abstract void Write(ResponseRecord record);

    /// <summary>The command ended well: print what was held back.</summary>
    public abstract void Complete();
}
