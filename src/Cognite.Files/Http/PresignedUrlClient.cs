using System.Net.Http.Headers;

namespace Cognite.Files.Http;

/// <summary>
/// Talks to pre-signed upload and download URLs. Its <see cref="HttpClient"/> must have no auth handler: the
/// URLs carry their own credentials, and a bearer token sent there would leak to object storage (the emulator's
/// upload listener shares the API host 127.0.0.1, so a host check alone cannot stop that).
/// </summary>
internal sealed class PresignedUrlClient
{
    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;

    /// <summary>Wraps <paramref name="httpClient"/>, which must carry no default Authorization header.</summary>
    public PresignedUrlClient(HttpClient httpClient, TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.DefaultRequestHeaders.Authorization is not null)
        {
            throw new ArgumentException("The HttpClient for pre-signed URLs must not send an Authorization header.", nameof(httpClient));
        }

        _httpClient = httpClient;
    }

    /// <summary>
    /// PUTs <paramref name="content"/> (which must know its length: CDF's object stores refuse chunked bodies)
    /// to <paramref name="url"/>. Throws <see cref="CogniteApiException"/> for an error status; messages never
    /// show the URL's query string.
    /// </summary>
    public async Task PutAsync(Uri url, HttpContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(content);
        if (content.Headers.ContentLength is null)
        {
            throw new ArgumentException("A PUT to a pre-signed URL needs a Content-Length.", nameof(content));
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await CogniteErrorParser.FromPresignedResponseAsync(response, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// GETs <paramref name="url"/> and returns the response with its body unread (stream it, then dispose the
    /// response). Throws <see cref="CogniteApiException"/> for an error status.
    /// </summary>
    public Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken cancellationToken) => GetAsync(url, null, null, cancellationToken);

    /// <summary>
    /// GETs <paramref name="url"/> with an optional <c>Range</c> header (<paramref name="range"/>) and <c>If-Match</c>
    /// (<paramref name="ifMatch"/>: only that version of the content) and returns the response with its body unread. Which
    /// status came back (206, or 200 from a server that ignores ranges) is the caller's to check. Throws
    /// <see cref="CogniteApiException"/> for an error status (416 and 412 included).
    /// </summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, RangeHeaderValue? range, EntityTagHeaderValue? ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var request = new HttpRequestMessage(HttpMethod.Get, url); // not disposed here: the response refers to it while its body is read
        request.Headers.Range = range;
        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(ifMatch);
        }

        var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await CogniteErrorParser.FromPresignedResponseAsync(response, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }

        return response;
    }

    /// <summary>A streamed body of exactly <paramref name="length"/> bytes, with Content-Length set.</summary>
    public static HttpContent CreateStreamContent(Stream stream, long length, string? contentType = null)
    {
        var content = new StreamContent(stream, 81920);
        content.Headers.ContentLength = length;
        if (!string.IsNullOrEmpty(contentType))
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }
}
