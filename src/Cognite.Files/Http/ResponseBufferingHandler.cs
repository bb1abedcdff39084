namespace Cognite.Files.Http;

/// <summary>
/// Reads each API response body completely inside the per-attempt timeout. Refit asks for responses as soon as
/// their headers arrive, so without this a body that stalls after the headers would hang past every timeout;
/// buffered, a stalled body is a timed-out attempt that the retry pipeline handles. API bodies are small JSON;
/// file content never goes through this handler (pre-signed URLs use their own client).
/// </summary>
internal sealed class ResponseBufferingHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
