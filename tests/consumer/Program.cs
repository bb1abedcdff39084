// Uploads one file through the packaged SDK (multipart engine), downloads it back and checks it byte for byte.
// Configuration from COGNITE_BASE_URL, COGNITE_PROJECT and COGNITE_TOKEN (the packaging test points them at an emulator).
using System.Security.Cryptography;
using Cognite.Files;
using Cognite.Files.Auth;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

static string Env(string name) => Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set");

using var client = new CogniteFilesClient(
    new CogniteFilesClientOptions { BaseUrl = new Uri(Env("COGNITE_BASE_URL")), Project = Env("COGNITE_PROJECT"), AppName = "consumer-test" },
    new StaticAccessTokenProvider(Env("COGNITE_TOKEN")));

var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
using var source = UploadSource.FromStream(new MemoryStream(content));
var result = await client.UploadAsync(new FileCreate { Name = "consumer.bin", ExternalId = "consumer-" + Guid.NewGuid().ToString("N") }, source);

using var copy = new MemoryStream();
await client.DownloadToStreamAsync(Identifier.FromId(result.File.Id), copy);
var expected = Convert.ToHexStringLower(SHA256.HashData(content));
if (result.Sha256 != expected || !copy.ToArray().AsSpan().SequenceEqual(content))
{
    Console.Error.WriteLine("consumer: content mismatch");
    return 1;
}

Console.WriteLine($"consumer: uploaded id {result.File.Id}, {result.Bytes} bytes in {result.Parts} part(s), sha256 {result.Sha256}, downloaded byte-exact");
return 0;
