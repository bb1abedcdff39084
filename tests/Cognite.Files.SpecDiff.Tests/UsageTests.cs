namespace Cognite.Files.SpecDiff.Tests;

/// <summary>Usage errors exit 2 with one <c>error:</c> line (and the usage text for command-line mistakes).</summary>
[TestFixture]
public sealed class UsageTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = SpecDiffTool.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("no document", Array.Empty<string>(), "give Cognite's OpenAPI document").SetName("Usage error: no document");
        yield return new TestCaseData("two documents", new[] { "{style}", "{style}" }, "one document expected").SetName("Usage error: two documents");
        yield return new TestCaseData("unknown option", new[] { "{style}", "--frobnicate" }, "unknown option --frobnicate").SetName("Usage error: unknown option");
        yield return new TestCaseData("--ours without a file", new[] { "{style}", "--ours" }, "--ours needs a file").SetName("Usage error: --ours without a file");
        yield return new TestCaseData("missing file", new[] { "{dir}/none.json" }, "no such file").SetName("Usage error: missing file");
        yield return new TestCaseData("a directory", new[] { "{dir}" }, "is a directory").SetName("Usage error: a directory");
        yield return new TestCaseData("missing ours", new[] { "{style}", "--ours", "{dir}/none.yaml" }, "our document: no such file").SetName("Usage error: missing ours");
        yield return new TestCaseData("missing known", new[] { "{style}", "--known", "{dir}/none.yaml" }, "known differences: no such file").SetName("Usage error: missing known file");
    }

    [TestCaseSource(nameof(Cases))]
    public void Exits_with_2_and_an_error_line(string name, string[] args, string message)
    {
        var expanded = args.Select(a => a.Replace("{style}", Fixtures.FixturePath("cognite-style.json"), StringComparison.Ordinal)
            .Replace("{dir}", Path.Combine(AppContext.BaseDirectory, "Fixtures"), StringComparison.Ordinal)).ToArray();

        var run = Run(expanded);

        Assert.That(run.Exit, Is.EqualTo(2), name + ": " + run.Out + run.Err);
        Assert.That(run.Err, Does.StartWith("error: ").And.Contain(message));
        Assert.That(run.Out, Is.Empty);
    }

    [TestCase("{\"openapi\": \"3.1.0\", \"paths\": ", ".json", "not valid JSON")]
    [TestCase("key: [unclosed\n", ".yaml", "neither JSON nor valid YAML")]
    [TestCase("[1, 2]", ".json", "the top level is not an object")]
    [TestCase("{\"info\": {}}", ".json", "no 'openapi' version")]
    [TestCase("{\"swagger\": \"2.0\", \"paths\": {}}", ".json", "it is Swagger 2.0")]
    [TestCase("{\"openapi\": \"2.5\", \"paths\": {}}", ".json", "is not 3.x")]
    [TestCase("{\"openapi\": \"3.1.0\"}", ".json", "no 'paths' object")]
    [TestCase("{\"openapi\": \"3.1.0\", \"paths\": {\"/assets\": {\"get\": {\"responses\": {}}}}}", ".json", "has no /files operation")]
    public void A_document_that_is_not_an_OpenAPI_3_document_with_files_operations_is_a_usage_error(string text, string extension, string message)
    {
        var path = Fixtures.TempFile(text, extension);
        try
        {
            var run = Run(path, "--ours", Fixtures.FixturePath("ours-style.yaml"), "--known", Fixtures.FixturePath("known-drift.yaml"));

            Assert.That(run.Exit, Is.EqualTo(2), run.Out + run.Err);
            Assert.That(run.Err, Does.StartWith("error: Cognite's document").And.Contain(message));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Help_prints_the_usage_and_exits_0()
    {
        var run = Run("--help");

        Assert.That(run.Exit, Is.Zero);
        Assert.That(run.Out, Does.Contain("usage: spec-diff COGNITE_DOCUMENT").And.Contain("exit codes: 0"));
    }

    [Test]
    public void Without_options_our_document_and_known_differences_come_from_the_repository()
    {
        // Our own document as "Cognite's": no difference, and the repository's known differences are read (all stale).
        var run = Run(Fixtures.OurDocument);

        Assert.That(run.Exit, Is.Zero, run.Out + run.Err);
        Assert.That(run.Out, Does.Contain("against openapi/cognite-files.yaml").And.Contain("spec-diff: no differences;").And.Contain("stale: entry 1"));
    }
}
