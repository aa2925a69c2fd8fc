using System.CommandLine;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;
using Heads.Core.Models;

namespace Heads.Cli;

/// <summary>
/// Runs a command's work and turns failures into the tool's exit codes with a one-line reason on stderr, so scripts can
/// tell a bad file (2) from a stack that is not running (3) or a job that failed on the service (4) without parsing messages.
/// </summary>
public static class CommandAction
{
    public static void Set(Command command, Func<ParseResult, CancellationToken, Task> work) =>
        command.SetAction(async (result, ct) => await RunAsync(result, work, ct));

    public static async Task<int> RunAsync(ParseResult result, Func<ParseResult, CancellationToken, Task> work, CancellationToken ct)
    {
        var error = Console.Error;
        try
        {
            await work(result, ct);
            return ExitCodes.Success;
        }
        catch (UnreachableException e)
        {
            Fail(error, e.Message);
            return ExitCodes.Unreachable;
        }
        catch (JobFailedException e)
        {
            Fail(error, e.Message);
            return ExitCodes.JobFailed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Fail(error, "cancelled");
            return ExitCodes.Input;
        }
        catch (Exception e) when (IsInputProblem(e))
        {
            Fail(error, e.Message);
            return ExitCodes.Input;
        }
    }

    private static bool IsInputProblem(Exception e) => e is InputException or FileNotFoundException or DirectoryNotFoundException
        or PlyFormatException or FaceImageException or ModelFormatException or FormatException or InvalidDataException
        or EndOfStreamException or UnauthorizedAccessException or IOException or ArgumentException or System.Text.Json.JsonException;

    private static void Fail(TextWriter error, string message) =>
        error.WriteLine("heads: " + message.ReplaceLineEndings(" ").Trim());
}
