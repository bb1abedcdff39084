using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// <c>Range</c> on download URLs, as object stores serve it (RFC 9110 §14): one range per request (206 with
/// <c>Content-Range</c>), 416 when unsatisfiable, the whole content (200) for anything the server may ignore, and a switch
/// that makes the emulator a server without range support.
/// </summary>
public sealed class RangeTests
{
    private const int PartSize = 1024;
    private EmulatorHarness _h = null!;
    private byte[] _content = null!;
    private long _multipartId;
    private long _singleId;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _h = await EmulatorHarness.StartAsync();
        // 3 parts + a short last one: ranges that cross the segments of a multipart file.
        _content = EmulatorHarness.RandomBytes(3 * PartSize + 300, 7);
        var init = await _h.Api.InitMultipartUploadAsync(4, new FileCreate { Name = "ranged.bin" });
        for (var i = 0; i < 4; i++)
        {
            (await EmulatorHarness.PutAsync(init.UploadUrls[i], _content[(i * PartSize)..Math.Min(_content.Length, (i + 1) * PartSize)])).Dispose();
        }

        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        _multipartId = init.Id;
        var single = await _h.Api.CreateFileAsync(new FileCreate { Name = "single.bin" });
        (await EmulatorHarness.PutAsync(single.UploadUrl, _content)).Dispose();
        _singleId = single.Id;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    [SetUp]
    public void ServeRanges() => _h.Emulator.Faults.IgnoreRangeRequests = false;

    private static async Task<string> LinkAsync(EmulatorHarness h, long id) =>
        (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;

    private static async Task<HttpResponseMessage> GetAsync(string url, string? range, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        if (range is not null) Assert.That(request.Headers.TryAddWithoutValidation("Range", range), Is.True);
        return await EmulatorHarness.Plain.SendAsync(request);
    }

    [TestCase("bytes=0-99", 0, 100)]
    [TestCase("bytes=1000-1100", 1000, 101)] // crosses from part 0 into part 1
    [TestCase("bytes=1024-2047", 1024, 1024)] // exactly part 1
    [TestCase("bytes=500-", 500, 3 * PartSize + 300 - 500)]
    [TestCase("bytes=-300", 3 * PartSize, 300)] // the last 300 bytes: the short last part
    [TestCase("bytes=-100000", 0, 3 * PartSize + 300)] // a suffix longer than the content is all of it
    [TestCase("bytes=3000-999999", 3000, 3 * PartSize + 300 - 3000)] // an end beyond the content is clamped
    [TestCase("bytes=3371-3371", 3 * PartSize + 299, 1)] // the last byte
    [TestCase("BYTES=0-0", 0, 1)] // the unit is case-insensitive
    public async Task One_range_is_206_with_Content_Range_and_exactly_those_bytes(string range, int start, int length)
    {
        foreach (var id in new[] { _multipartId, _singleId })
        {
            using var response = await GetAsync(await LinkAsync(_h, id), range);
            var body = await response.Content.ReadAsByteArrayAsync();

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes {start}-{start + length - 1}/{_content.Length}"));
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(length));
            Assert.That(response.Headers.AcceptRanges.ToString(), Is.EqualTo("bytes"));
            Assert.That(body, Is.EqualTo(_content[start..(start + length)]));
        }
    }

    [TestCase("bytes=3372-")] // starts at the end
    [TestCase("bytes=5000-6000")]
    [TestCase("bytes=-0")] // an empty suffix
    public async Task An_unsatisfiable_range_is_416_with_the_length_in_Content_Range_and_a_CDF_error(string range)
    {
        using var response = await GetAsync(await LinkAsync(_h, _multipartId), range);

        Assert.That((int)response.StatusCode, Is.EqualTo(416));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes */{_content.Length}"));
        var error = JObject.Parse(await response.Content.ReadAsStringAsync())["error"]!;
        Assert.That((int)error["code"]!, Is.EqualTo(416));
        Assert.That((string?)error["message"], Does.Contain("Range Not Satisfiable"));
    }

    [TestCase("bytes=0-1,5-6")] // several ranges: RFC 9110 lets a server answer the whole content
    [TestCase("bytes=abc")]
    [TestCase("bytes=5-2")] // last before first: an invalid range, ignored
    [TestCase("items=0-1")] // another unit
    [TestCase("bytes=-")]
    [TestCase("bytes=1.5-2")]
    public async Task Several_ranges_or_a_malformed_header_get_the_whole_content(string range)
    {
        using var response = await GetAsync(await LinkAsync(_h, _multipartId), range);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentRange, Is.Null);
        Assert.That(response.Headers.AcceptRanges.ToString(), Is.EqualTo("bytes"));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
    }

    [Test]
    public async Task HEAD_says_the_length_and_that_ranges_are_served_and_answers_a_range_with_its_headers()
    {
        var link = await LinkAsync(_h, _multipartId);
        using (var head = await GetAsync(link, range: null, HttpMethod.Head))
        {
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(_content.Length));
            Assert.That(head.Headers.AcceptRanges.ToString(), Is.EqualTo("bytes"));
            Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
        }

        using var ranged = await GetAsync(link, "bytes=10-19", HttpMethod.Head);
        Assert.That(ranged.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(ranged.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes 10-19/{_content.Length}"));
        Assert.That(ranged.Content.Headers.ContentLength, Is.EqualTo(10));
    }

    [Test]
    public async Task A_GET_without_Range_is_200_with_Accept_Ranges()
    {
        using var response = await GetAsync(await LinkAsync(_h, _multipartId), range: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.AcceptRanges.ToString(), Is.EqualTo("bytes"));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
    }

    [Test]
    public async Task Ignoring_ranges_at_run_time_answers_the_whole_content_without_Accept_Ranges_like_a_server_without_support()
    {
        var link = await LinkAsync(_h, _multipartId);
        _h.Emulator.Faults.IgnoreRangeRequests = true;

        using (var response = await GetAsync(link, "bytes=0-9"))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Headers.AcceptRanges, Is.Empty);
            Assert.That(response.Content.Headers.ContentRange, Is.Null);
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
        }

        using (var unsatisfiable = await GetAsync(link, "bytes=99999-"))
        {
            Assert.That(unsatisfiable.StatusCode, Is.EqualTo(HttpStatusCode.OK), "nothing to refuse when ranges are not looked at");
        }

        _h.Emulator.Faults.IgnoreRangeRequests = false;
        using var again = await GetAsync(link, "bytes=0-9");
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
    }

    [Test]
    public async Task The_start_up_option_ignores_ranges_from_the_first_request()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.IgnoreRangeRequests = true);
        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "whole.bin" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, [1, 2, 3, 4])).Dispose();

        using var response = await GetAsync(await LinkAsync(h, f.Id), "bytes=1-2");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public async Task Empty_content_has_no_byte_to_range_over_and_is_served_whole()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "empty.bin" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, [])).Dispose();

        using var response = await GetAsync(await LinkAsync(_h, f.Id), "bytes=0-");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentLength, Is.Zero);
    }

    [Test]
    public async Task A_range_request_started_after_the_link_expired_gets_CDFs_403_and_a_fresh_link_goes_on()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(o => o.TimeProvider = time);
        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "expiring.bin" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, _content)).Dispose();
        var link = await LinkAsync(h, f.Id);

        using (var first = await GetAsync(link, "bytes=0-999"))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        }

        time.Advance(EmulatorConventions.DownloadUrlLifetime);
        using (var expired = await GetAsync(link, "bytes=1000-1999"))
        {
            Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            var error = JObject.Parse(await expired.Content.ReadAsStringAsync())["error"]!;
            Assert.That((int)error["code"]!, Is.EqualTo(403));
            Assert.That((string?)error["message"], Does.Contain("expired"));
        }

        using var refreshed = await GetAsync(await LinkAsync(h, f.Id), "bytes=1000-1999");
        Assert.That(refreshed.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await refreshed.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content[1000..2000]));
    }

    [Test]
    public async Task A_ranged_download_streaming_while_a_new_version_completes_keeps_the_version_it_opened()
    {
        var init = await _h.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "versioned.bin", ExternalId = "range-versions" });
        var v1 = EmulatorHarness.RandomBytes(2 * 256 * 1024, 11);
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], v1[..(256 * 1024)])).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], v1[(256 * 1024)..])).Dispose();
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });

        using var request = new HttpRequestMessage(HttpMethod.Get, await LinkAsync(_h, init.Id));
        request.Headers.Range = new RangeHeaderValue(100, null);
        using var response = await EmulatorHarness.Plain.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[16];
        await body.ReadExactlyAsync(first);

        var v2 = EmulatorHarness.RandomBytes(v1.Length, 12);
        var single = (await _h.Api.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "range-versions" }] })).Items[0];
        (await EmulatorHarness.PutAsync(single.UploadUrl, v2)).Dispose();

        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        Assert.That(first.Concat(rest.ToArray()).ToArray(), Is.EqualTo(v1[100..]), "one version from start to end");
    }
}
