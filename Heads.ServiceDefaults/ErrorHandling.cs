using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// One error pipeline for every service, in every environment: an exception becomes a ProblemDetails response whose
/// status says whose fault it was (a body that does not bind or arrives too slowly is the client's: 400 or 408; anything
/// else is 500 with no internals), bare error statuses (404, 405, 415, …) get a ProblemDetails body too, and every body
/// carries the request's <c>traceId</c> so it can be found in the dashboard. No stack trace, exception type or request
/// header is ever written back, Development included (the launch profiles run in Development).
/// </summary>
public static class HeadsErrorHandling
{
    public static TBuilder AddHeadsErrorHandling<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            context.ProblemDetails.Extensions.Remove("exception");
        });
        builder.Services.AddExceptionHandler<RequestProblemHandler>();
        // Binding failures throw (with the parameter and the value in the message) instead of a bare 400, in every
        // environment, so the handler below can say what was wrong.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return builder;
    }

    /// <summary>Call first: the exception handler, ProblemDetails for bare statuses, and the request-body deadline.</summary>
    public static WebApplication UseHeadsErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var deadline = app.Configuration.GetSection(HeadsRequestTimeouts.Section).GetValue("Body", TimeSpan.FromSeconds(30));
        app.Use((context, next) =>
        {
            // No endpoint takes a list or an empty value in its query: a repeated key would be bound joined ("1,2" read
            // as 12), an empty one as if absent.
            foreach (var (key, values) in context.Request.Query)
            {
                if (values.Count > 1)
                    return QueryProblem(context, $"Query parameter '{Shorten(key)}' is given {values.Count} times; give it once.");
                if (string.IsNullOrEmpty(values[0]))
                    return QueryProblem(context, $"Query parameter '{Shorten(key)}' is empty; give a value or leave it out.");
            }
            if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
                context.Request.Body = new RequestBodyDeadline(context.Request.Body, deadline);
            return next(context);
        });
        return app;
    }

    private static Task QueryProblem(HttpContext context, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status400BadRequest, Title = "Invalid query", Detail = detail },
        }).AsTask();
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}

/// <summary>
/// The request body must arrive within a deadline, whatever reads it (JSON binding, multipart, a raw stream): Kestrel's
/// minimum data rate alone lets a body trickled just above it hold a request for minutes. Past the deadline a read fails
/// with 408.
/// </summary>
internal sealed class RequestBodyDeadline(Stream inner, TimeSpan deadline) : Stream
{
    private readonly CancellationTokenSource _expired = new(deadline);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _expired.Token);
        try
        {
            return await inner.ReadAsync(buffer, linked.Token);
        }
        catch (OperationCanceledException) when (_expired.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BadHttpRequestException($"The request body did not arrive within {deadline.TotalSeconds:0.###} s ({HeadsRequestTimeouts.Section}:Body).",
                StatusCodes.Status408RequestTimeout);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _expired.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Turns an exception into the ProblemDetails its cause deserves; only 5xx are logged as errors.</summary>
internal sealed class RequestProblemHandler(IProblemDetailsService problems, ILogger<RequestProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody reads an answer.
            logger.LogInformation("{Method} {Path}: the client disconnected", context.Request.Method, context.Request.Path);
            return true;
        }
        // The middleware clears the endpoint before handlers run; the feature keeps the one that failed.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint();
        var (status, title, detail) = Describe(exception, endpoint);
        if (status >= 500) logger.LogError(exception, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
        else logger.LogInformation("{Method} {Path}: {Status} {Detail}", context.Request.Method, context.Request.Path, status, detail);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    internal static (int Status, string Title, string Detail) Describe(Exception exception, Endpoint? endpoint = null) => exception switch
    {
        BadHttpRequestException e when BindingFailure.Match(e.Message) is { Success: true } m =>
            (e.StatusCode, "Invalid parameter", Rule(m.Groups["name"].Value, m.Groups["value"].Value, endpoint)),
        BadHttpRequestException e when e.StatusCode == StatusCodes.Status408RequestTimeout => (e.StatusCode, "Request body too slow", e.Message),
        BadHttpRequestException e when e.StatusCode == StatusCodes.Status413PayloadTooLarge => (e.StatusCode, "Request body too large", e.Message),
        BadHttpRequestException e => (e.StatusCode, "Bad request", WithJsonPath(e)),
        JsonException e => (StatusCodes.Status400BadRequest, "Bad request", "The body is not valid JSON" + (e.Path is { } p ? $" at {p}." : ".")),
        IOException or InvalidDataException when FromRequestReading(exception) =>
            (StatusCodes.Status400BadRequest, "Bad request", "The request body is incomplete or malformed: " + exception.Message),
        _ => (StatusCodes.Status500InternalServerError, "Internal error", "The service could not complete the request; the trace id finds it in the logs."),
    };

    // ASP.NET Core's wording for a query or route value that does not convert: Failed to bind parameter "int? points" from "abc".
    private static readonly System.Text.RegularExpressions.Regex BindingFailure =
        new(@"^Failed to bind parameter ""[^""]*?(?<name>\w+)"" from ""(?<value>.*)""\.$", System.Text.RegularExpressions.RegexOptions.Singleline);

    /// <summary>"points must be a whole number from 1 to 255; it was 'abc'.": the bound from the parameter's [Range], else from its type.</summary>
    private static string Rule(string name, string value, Endpoint? endpoint)
    {
        // Minimal APIs keep the handler's MethodInfo in the endpoint's metadata.
        var parameter = endpoint?.Metadata.GetMetadata<System.Reflection.MethodInfo>()?.GetParameters().FirstOrDefault(p => p.Name == name);
        var type = parameter is null ? null : Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        string kind = type == typeof(int) || type == typeof(long) || type == typeof(short) ? "a whole number"
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
            : type == typeof(Guid) ? "a GUID"
            : type == typeof(bool) ? "true or false"
            : "a valid value";
        var range = parameter?.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RangeAttribute), false)
            .OfType<System.ComponentModel.DataAnnotations.RangeAttribute>().FirstOrDefault();
        string bound = range is not null ? $" from {range.Minimum} to {range.Maximum}"
            : type == typeof(int) ? $" from {int.MinValue} to {int.MaxValue}" : "";
        var shown = value.Length > 40 ? value[..40] + "…" : value;
        return $"{name} must be {kind}{bound}; it was '{shown}'.";
    }

    private static string WithJsonPath(BadHttpRequestException e) =>
        e.InnerException is JsonException { Path: { } path } ? $"{e.Message} The value at {path} is not valid." : e.Message;

    /// <summary>Whether the failure came from ASP.NET Core reading the request (multipart, forms, the body pipe), not from our own code.</summary>
    private static bool FromRequestReading(Exception exception)
    {
        var trace = new System.Diagnostics.StackTrace(exception, fNeedFileInfo: false);
        foreach (var frame in trace.GetFrames())
        {
            var ns = frame.GetMethod()?.DeclaringType?.Namespace;
            if (ns is null) continue;
            if (ns.StartsWith("Microsoft.AspNetCore.WebUtilities", StringComparison.Ordinal) || ns.StartsWith("Microsoft.AspNetCore.Http.Features", StringComparison.Ordinal)
                || ns.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
