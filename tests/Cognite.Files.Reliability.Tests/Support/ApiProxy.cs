using System.Net;
using System.Net.Sockets;

namespace Cognite.Files.Reliability.Tests.Support;

/// <summary>
/// A loopback HTTP proxy in front of the emulator's API, for a CLI process (which takes only a base URL): every request
/// goes on to the emulator unchanged, unless <c>refuse</c> answers it instead (status and CDF error message). Upload and
/// download URLs point at the emulator's own listener and do not pass here.
/// </summary>
internal sealed class ApiProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _client = new();
    private readonly Uri _target;
    private readonly Func<HttpListenerRequest, string, (HttpStatusCode Status, string Message)?> _refuse;
    private readonly Task _loop;

    private ApiProxy(Uri target, Func<HttpListenerRequest, string, (HttpStatusCode Status, string Message)?> refuse)
    {
        _target = target;
        _refuse = refuse;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Root = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Root.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The base URL to give the CLI.</summary>
    public Uri Root { get; }

    /// <summary>Starts a proxy to <paramref name="target"/> (the emulator's root) that answers what <paramref name="refuse"/> refuses (it sees the request and its body).</summary>
    public static ApiProxy Start(Uri target, Func<HttpListenerRequest, string, (HttpStatusCode Status, string Message)?> refuse) => new(target, refuse);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
            if (_refuse(request, text) is { } refusal)
            {
                var json = Newtonsoft.Json.JsonConvert.SerializeObject(new { error = new { code = (int)refusal.Status, message = refusal.Message } });
                response.StatusCode = (int)refusal.Status;
                response.ContentType = "application/json";
                response.Headers["x-request-id"] = "proxy-" + Guid.NewGuid().ToString("N")[..8];
                var bytes = System.Text.Encoding.UTF8.GetBytes(json);
                response.ContentLength64 = bytes.Length;
                await response.OutputStream.WriteAsync(bytes);
                return;
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_target, request.RawUrl!.TrimStart('/')));
            if (request.HasEntityBody || body.Length > 0)
            {
                forward.Content = new ByteArrayContent(body.ToArray());
                if (request.ContentType is { } contentType)
                {
                    forward.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }
            }

            foreach (var name in request.Headers.AllKeys.OfType<string>())
            {
                if (name is not ("Host" or "Content-Length" or "Content-Type" or "Connection" or "Transfer-Encoding" or "Expect"))
                {
                    forward.Headers.TryAddWithoutValidation(name, request.Headers.GetValues(name) ?? []);
                }
            }

            using var answer = await _client.SendAsync(forward);
            response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            {
                if (name is not ("Content-Length" or "Transfer-Encoding" or "Connection"))
                {
                    response.Headers[name] = string.Join(",", values);
                }
            }

            var content = await answer.Content.ReadAsByteArrayAsync();
            response.ContentLength64 = content.Length;
            await response.OutputStream.WriteAsync(content);
        }
        finally
        {
            response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _client.Dispose();
    }
}
