using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Inference.Viewer.Tests;

/// <summary>
/// One Chrome DevTools Protocol WebSocket: numbered commands answered by id, and events kept in arrival order.
/// Only what the viewer tests need; no third-party driver is available offline.
/// </summary>
public sealed class DevToolsConnection : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly ConcurrentQueue<(string Method, JsonElement Params)> events = new();
    private readonly CancellationTokenSource closing = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private Task? receiveLoop;
    private int nextId;

    public static async Task<DevToolsConnection> OpenAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var connection = new DevToolsConnection();
        // Screenshots arrive as one base64 message of a few MB.
        connection.socket.Options.SetBuffer(1 << 20, 1 << 16);
        await connection.socket.ConnectAsync(endpoint, cancellationToken);
        connection.receiveLoop = Task.Run(connection.ReceiveAsync);
        return connection;
    }

    /// <summary>Events seen so far (method name and parameters).</summary>
    public IReadOnlyList<(string Method, JsonElement Params)> Events => events.ToArray();

    public async Task<JsonElement> SendAsync(string method, object? parameters, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = answer;
        var message = new JsonObject
        {
            ["id"] = id,
            ["method"] = method,
            ["params"] = parameters is null ? new JsonObject() : JsonSerializer.SerializeToNode(parameters),
        };
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, closing.Token);
        }
        finally
        {
            sendLock.Release();
        }
        try
        {
            return await answer.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            pending.TryRemove(id, out _);
            throw new TimeoutException($"DevTools command {method} got no answer within {timeout.TotalSeconds:0} s.");
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, closing.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Closed by us or by the browser: whoever still waits learns it below.
        }
        foreach (var id in pending.Keys)
        {
            if (pending.TryRemove(id, out var waiting))
            {
                waiting.TrySetException(new InvalidOperationException("The DevTools connection closed before answering."));
            }
        }
    }

    private void Dispatch(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        var root = document.RootElement;
        if (root.TryGetProperty("id", out var idElement) && pending.TryRemove(idElement.GetInt32(), out var answer))
        {
            if (root.TryGetProperty("error", out var error))
            {
                answer.TrySetException(new InvalidOperationException($"DevTools error: {error.GetRawText()}"));
            }
            else
            {
                answer.TrySetResult(root.GetProperty("result").Clone());
            }
        }
        else if (root.TryGetProperty("method", out var method))
        {
            var parameters = root.TryGetProperty("params", out var p) ? p.Clone() : default;
            events.Enqueue((method.GetString() ?? "", parameters));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The browser may already be gone.
        }
        await closing.CancelAsync();
        if (receiveLoop is not null)
        {
            await receiveLoop;
        }
        socket.Dispose();
        closing.Dispose();
        sendLock.Dispose();
    }
}
