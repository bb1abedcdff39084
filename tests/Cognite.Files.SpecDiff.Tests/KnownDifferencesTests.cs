namespace Cognite.Files.SpecDiff.Tests;

/// <summary>openapi/known-differences.yaml: suppression, exit codes, entries without a reason, stale entries.</summary>
[TestFixture]
public sealed class KnownDifferencesTests
{
    private static string Drift => Fixtures.FixturePath("cognite-drift.json");

    private static string OurStyle => Fixtures.FixturePath("ours-style.yaml");

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = SpecDiffTool.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string Known(string yaml) => Fixtures.TempFile(yaml, ".yaml");

    [Test]
    public void Without_known_differences_every_difference_fails_the_run()
    {
        var report = SpecDiffTool.Evaluate(Drift, OurStyle, null);

        Assert.That(report.Differences.Select(d => d.Line), Is.EqualTo(new[]
        {
            "GET /files/icon operation: missing in ours",
            "POST /files/search request search.name: maxLength: Cognite 512, ours 256",
            "POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours",
        }));
        Assert.That(report.Unlisted, Has.Count.EqualTo(3));
        Assert.That(report.ExitCode, Is.EqualTo(1));
    }

    [Test]
    public void Known_differences_suppress_exact_and_star_matches_and_the_exit_code_becomes_0()
    {
        var known = Known("""
            - match: "POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours"
              reason: the SDKs read items[0]
            - match: "GET /files/icon *"
              reason: thumbnails are out of scope
            - match: "* search.name: maxLength: Cognite *, ours 256"
              reason: a test entry with two stars
            """);
        try
        {
            var run = Run(Drift, "--ours", OurStyle, "--known", known);

            Assert.That(run.Exit, Is.Zero, run.Out + run.Err);
            Assert.That(run.Out, Does.Contain("known: GET /files/icon operation: missing in ours")
                .And.Contain("known: POST /files/search request search.name: maxLength: Cognite 512, ours 256")
                .And.Contain("known: POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours")
                .And.Contain("3 differences: 0 not listed").And.Not.Contain("stale"));
        }
        finally
        {
            File.Delete(known);
        }
    }

    [Test]
    public void A_partly_covering_file_fails_with_the_unlisted_lines_printed_bare_and_reports_stale_entries()
    {
        var run = Run(Drift, "--ours", OurStyle, "--known", Fixtures.FixturePath("known-drift.yaml"));

        Assert.That(run.Exit, Is.EqualTo(1), run.Out + run.Err);
        var lines = run.Out.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.That(lines, Does.Contain("POST /files/search request search.name: maxLength: Cognite 512, ours 256"));
        Assert.That(lines, Does.Contain("known: GET /files/icon operation: missing in ours"));
        Assert.That(lines, Does.Contain("# POST /files/search").And.Contain("# GET /files/icon").And.Contain("# POST /files/uploadlink"));
        Assert.That(lines, Does.Contain("stale: entry 3 \"POST /files/delete operation: missing in ours\" matches no difference (not a failure; remove or correct it)"));
        Assert.That(run.Out, Does.Contain("3 differences: 1 not listed in").And.Contain("2 known; 1 stale entry."));
        Assert.That(run.Err, Is.Empty);
    }

    [Test]
    public void Stale_entries_alone_do_not_fail_the_run()
    {
        var known = Known("""
            - match: "POST /files/delete operation: missing in ours"
              reason: nothing matches this
            """);
        try
        {
            var run = Run(Fixtures.FixturePath("cognite-style.json"), "--ours", OurStyle, "--known", known);

            Assert.That(run.Exit, Is.Zero, run.Out + run.Err);
            Assert.That(run.Out, Does.Contain("stale: entry 1").And.Contain("spec-diff: no differences; 1 stale entry."));
        }
        finally
        {
            File.Delete(known);
        }
    }

    [TestCase("- match: \"GET /files/icon operation: missing in ours\"\n", "entry 1 (match \"GET /files/icon operation: missing in ours\") has no reason")]
    [TestCase("- match: a\n  reason: fine\n- match: b\n  reason: \"  \"\n", "entry 2 (match \"b\") has no reason")]
    [TestCase("- reason: no match\n", "entry 1 has no 'match'")]
    [TestCase("- match: a\n  reson: typo\n", "entry 1 has an unknown key 'reson'")]
    [TestCase("match: a\nreason: not a list\n", "expected a list of entries")]
    [TestCase("- just a string\n", "entry 1 is not a mapping")]
    [TestCase("- match: [unclosed\n", "neither JSON nor valid YAML")]
    public void A_malformed_entry_is_a_usage_error(string yaml, string message)
    {
        var known = Known(yaml);
        try
        {
            var run = Run(Drift, "--ours", OurStyle, "--known", known);

            Assert.That(run.Exit, Is.EqualTo(2), run.Out + run.Err);
            Assert.That(run.Err, Does.StartWith("error: ").And.Contain(message));
            Assert.That(run.Out, Is.Empty);
        }
        finally
        {
            File.Delete(known);
        }
    }

    [Test]
    public void An_empty_file_has_no_entries()
    {
        var known = Known("# nothing is known yet\n");
        try
        {
            Assert.That(KnownDifferences.Load(known, "known"), Is.Empty);
        }
        finally
        {
            File.Delete(known);
        }
    }

    [Test]
    public void Star_is_the_only_special_character()
    {
        var entry = new KnownDifference(1, "POST /files/* request items[].id: maxLength: Cognite (none), ours ?", "test");

        Assert.That(entry.Matches("POST /files/byids request items[].id: maxLength: Cognite (none), ours ?"), Is.True);
        Assert.That(entry.Matches("POST /files/byids request items[].id: maxLength: Cognite (none), ours 5"), Is.False);
        Assert.That(new KnownDifference(2, "GET /files operation: missing in ours", "t").Matches("GET /files operation: missing in ours!"), Is.False, "no star: exact");
    }

    [Test]
    public void The_repositorys_known_differences_file_is_valid_and_every_entry_has_a_reason()
    {
        var entries = KnownDifferences.Load(Path.Combine(Fixtures.RepoRoot, "openapi", "known-differences.yaml"), "known");

        Assert.That(entries, Is.Not.Empty);
        Assert.That(entries.Select(e => e.Reason), Has.All.Length.GreaterThan(10));
        Assert.That(entries.Select(e => e.Match), Does.Contain("POST /files/initmultipartupload response (root): wrapped in items[] in Cognite's, bare in ours")
            .And.Contain("POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours"));
    }

    [Test]
    public void The_repositorys_known_differences_cover_the_section_10_shapes_but_not_real_drift()
    {
        // Cognite's document as section 10 of the fact sheet describes it, reduced to the two shapes we keep on purpose
        // (wrapped initmultipartupload response, bare uploadlink response) plus one drift nobody recorded.
        var theirs = Fixtures.Theirs();
        var ours = Fixtures.Ours();
        Fixtures.At(theirs, "paths['/files/uploadlink'].post.responses['201'].content['application/json']")["schema"] =
            Newtonsoft.Json.Linq.JObject.Parse("""{"$ref": "#/components/schemas/FileUploadResponse"}""");
        Fixtures.At(theirs, "paths").Add("/files/never-heard-of", Newtonsoft.Json.Linq.JObject.Parse("""{"get": {"responses": {"200": {"description": "x"}}}}"""));
        var known = KnownDifferences.Load(Path.Combine(Fixtures.RepoRoot, "openapi", "known-differences.yaml"), "known");

        var report = SpecDiffTool.Evaluate(theirs, ours, known);

        Assert.That(report.Known.Keys.Select(d => d.Line), Is.EqualTo(new[] { "POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours" }));
        Assert.That(report.Unlisted.Select(d => d.Line), Is.EqualTo(new[] { "GET /files/never-heard-of operation: missing in ours" }), "drift nobody recorded still fails");
        Assert.That(report.ExitCode, Is.EqualTo(1));
    }
}
