namespace Heads.Cli;

/// <summary>The tool's exit codes, the same for every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Bad command line: unknown command or option, missing or malformed argument (System.CommandLine's own code).</summary>
    public const int Usage = 1;
    /// <summary>The input cannot be used: missing or malformed file, a model that does not fit, an answer the server refused.</summary>
    public const int Input = 2;
    /// <summary>No connection to the service (refused, timed out, unknown host).</summary>
    public const int Unreachable = 3;
    /// <summary>The service took the request, but the scrape, build or training job it started ended failed or cancelled.</summary>
    public const int JobFailed = 4;
}

/// <summary>A reason the command cannot do its work with the input it was given; printed as one line, exit code 2.</summary>
public sealed class InputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A followed scrape, dataset build or training job ended without success; printed as one line, exit code 4.</summary>
public sealed class JobFailedException(string message) : Exception(message);

/// <summary>The service did not answer at all; exit code 3.</summary>
public sealed class UnreachableException(string message, Exception? inner = null) : Exception(message, inner);
