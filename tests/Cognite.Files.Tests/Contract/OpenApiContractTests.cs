using Cognite.Files.SpecDiff;
using Cognite.Files.Tests.TestSupport;
using Newtonsoft.Json.Linq;
using NSwag;

namespace Cognite.Files.Tests.Contract;

/// <summary>Checks of the test support itself: the document loads faithfully.</summary>
public class OpenApiContractTests
{
    [Test]
    public async Task Document_has_15_operations_with_unique_ids()
    {
        var contract = await OpenApiContract.GetAsync();

        Assert.That(contract.Operations, Has.Count.EqualTo(15));
        Assert.That(contract.Operations.Select(o => o.OperationId), Is.Unique);
    }

    [Test]
    public async Task Only_GetIcon_answers_with_a_binary_body_and_it_is_image_jpeg()
    {
        var contract = await OpenApiContract.GetAsync();

        Assert.That(contract.Operations.Where(o => contract.HasBinaryResponse(o.OperationId)).Select(o => o.OperationId), Is.EqualTo(new[] { "GetIcon" }));
        Assert.That(contract.ResponseMediaType("GetIcon"), Is.EqualTo("image/jpeg"));
        Assert.That(contract.Operations.Where(o => o.OperationId != "GetIcon").Select(o => contract.ResponseMediaType(o.OperationId)), Is.All.EqualTo("application/json"));
    }

    [Test]
    public async Task Examples_keep_their_yaml_types()
    {
        var example = (await OpenApiContract.GetAsync()).ResponseExample("GetMultipartUploadLink")!;

        Assert.That(example.SelectToken("items[0].id")!.Type, Is.EqualTo(JTokenType.Integer));
        Assert.That(example.SelectToken("items[0].uploaded")!.Type, Is.EqualTo(JTokenType.Boolean));
        Assert.That(example.SelectToken("items[0].name")!.Type, Is.EqualTo(JTokenType.String));
    }

    [Test]
    public async Task NSwag_yaml_loader_stringifies_untyped_scalars_which_is_why_OpenApiContract_converts_the_yaml_itself()
    {
        // Pins the NSwag.Core.Yaml 14.8.0 behaviour. If this starts failing, NSwag was fixed and
        // OpenApiContract could load with OpenApiYamlDocument.FromFileAsync directly.
        var document = await OpenApiYamlDocument.FromFileAsync(RepoPaths.OpenApiDocument);
        var example = JToken.FromObject(document.Operations.Single(o => o.Operation.OperationId == "GetMultipartUploadLink")
            .Operation.ActualResponses["201"].Content["application/json"].Example!);

        Assert.That(example.SelectToken("items[0].id")!.Type, Is.EqualTo(JTokenType.String));
        Assert.That(document.Components.Schemas["SetNullableString"].Properties["setNull"].Enumeration.Single(), Is.EqualTo("true"));
    }

    [Test]
    public void Yaml_scalars_follow_the_core_schema()
    {
        var json = YamlJson.Parse("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: <string>\ng: 9007199254740993\nh: [x, 2]\n");

        Json.AssertEquivalent(json, """{"a":1,"b":"1","c":true,"d":1.5,"e":null,"f":"<string>","g":9007199254740993,"h":["x",2]}""");
    }

    [Test]
    public void FindRepoRoot_walks_up_to_the_folder_with_openapi()
    {
        var root = RepoPaths.FindRepoRoot(Path.Combine(RepoPaths.RepoRoot, "tests", "Cognite.Files.Tests"));

        Assert.That(root, Is.EqualTo(RepoPaths.RepoRoot));
        Assert.That(File.Exists(RepoPaths.OpenApiDocument), Is.True);
    }
}
