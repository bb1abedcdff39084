using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Cognite.Files.Tests.Docs;

/// <summary>
/// Every C# sample in README.md, docs/ and the src/ READMEs compiles as written. Each ```csharp block becomes one file
/// of a throw-away project: its leading <c>using</c> lines stay file-level, the rest becomes the body of an async
/// method. A block whose first line is <c>// sample: file</c> is a whole file instead (a test class with its
/// attributes, say), compiled as it stands. The project references the assemblies this test assembly was built with
/// (the library, the emulator, Cognite.Files.Testing, NUnit, the xUnit core and assertions, and their dependencies),
/// so it needs no restore from a feed and does not rebuild the repository's projects.
/// </summary>
[NonParallelizable]
public partial class DocumentationSamplesTests
{
    private static readonly string[] Documents = ["README.md", "docs", "src"];

    [Test]
    public void Every_markdown_file_with_CSharp_samples_is_found()
    {
        var files = SampleFiles().Select(f => Path.GetRelativePath(RepoRoot, f).Replace('\\', '/')).ToList();
        Assert.That(files, Does.Contain("README.md").And.Contain("docs/api.md").And.Contain("src/Cognite.Files.Emulator/README.md"));
    }

    [Test]
    public async Task Every_CSharp_sample_compiles_against_the_current_surface()
    {
        var samples = SampleFiles().SelectMany(f => ExtractSamples(f).Select((code, i) => (File: f, Index: i, Code: code))).ToList();
        Assert.That(samples, Has.Count.GreaterThanOrEqualTo(5), "README and docs hold C# samples");
        Assert.That(samples.Count(s => s.Code.StartsWith(FileSampleMarker, StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(2), "the README's NUnit and xUnit samples are whole files");

        var project = Path.Combine(Path.GetTempPath(), "cognite-files-samples-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(project);
        try
        {
            var bin = Path.GetDirectoryName(typeof(CogniteFilesClient).Assembly.Location)!;
            var references = Directory.EnumerateFiles(bin, "*.dll")
                .Where(p => !Path.GetFileName(p).StartsWith("Cognite.Files.Tests", StringComparison.Ordinal))
                .Select(p => $"    <Reference Include=\"{p}\" />");
            await File.WriteAllTextAsync(Path.Combine(project, "Samples.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <OutputType>Library</OutputType>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <!-- Unused locals in a sample (a client made to show it) are fine. -->
                    <NoWarn>$(NoWarn);CS0168;CS0219;CS8321</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                    <FrameworkReference Include="Microsoft.AspNetCore.App" />
                {string.Join('\n', references)}
                  </ItemGroup>
                </Project>
                """);
            foreach (var (file, index, code) in samples)
            {
                var name = $"{Sanitize(Path.GetRelativePath(RepoRoot, file))}_{index}";
                await File.WriteAllTextAsync(Path.Combine(project, name + ".cs"), ToCompilationUnit(name, code, $"{Path.GetRelativePath(RepoRoot, file)} sample {index + 1}"));
            }

            var (exitCode, output) = await DotnetBuildAsync(project);
            Assert.That(exitCode, Is.Zero, "a documentation sample does not compile:\n" + output);
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
    }

    [Test]
    public void A_sample_is_split_into_its_using_lines_and_a_method_body()
    {
        var unit = ToCompilationUnit("S", "using Cognite.Files;\nusing var client = Make();\nawait client.Something();\n", "x");
        Assert.That(unit, Does.StartWith("// x\nusing Cognite.Files;\n"));
        Assert.That(unit, Does.Contain("    using var client = Make();"), "a using declaration is code, not a using directive");
    }

    [Test]
    public void A_sample_marked_as_a_file_is_compiled_as_it_stands()
    {
        var code = "// sample: file\nusing NUnit.Framework;\n\nnamespace My.Tests;\n\npublic class T\n{\n}\n";
        var unit = ToCompilationUnit("S", code, "x");
        Assert.That(unit, Is.EqualTo("// x\n" + code));
        Assert.That(unit, Does.Not.Contain("RunAsync"));
    }

    /// <summary>The first line of a ```csharp block that is a whole file, not the body of a method.</summary>
    internal const string FileSampleMarker = "// sample: file";

    internal static string ToCompilationUnit(string name, string code, string origin)
    {
        code = code.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (code.StartsWith(FileSampleMarker + "\n", StringComparison.Ordinal))
        {
            return "// " + origin + "\n" + code;
        }

        var lines = code.Split('\n');
        var directives = lines.TakeWhile(l => UsingDirective().IsMatch(l) || string.IsNullOrWhiteSpace(l)).ToList();
        var body = lines.Skip(directives.Count);
        var sb = new StringBuilder();
        sb.Append("// ").Append(origin).Append('\n');
        foreach (var directive in directives.Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            sb.Append(directive).Append('\n');
        }

        sb.Append("\nnamespace DocumentationSamples;\n\ninternal static class ").Append(name).Append("\n{\n    public static async Task RunAsync()\n    {\n");
        foreach (var line in body)
        {
            sb.Append("        ").Append(line).Append('\n');
        }

        sb.Append("        await Task.CompletedTask;\n    }\n}\n");
        return sb.ToString();
    }

    private static IEnumerable<string> ExtractSamples(string markdown)
    {
        var text = File.ReadAllText(markdown);
        foreach (Match m in CSharpBlock().Matches(text))
        {
            yield return m.Groups[1].Value;
        }
    }

    private static IEnumerable<string> SampleFiles()
    {
        foreach (var entry in Documents.Select(d => Path.Combine(RepoRoot, d)))
        {
            var files = File.Exists(entry) ? [entry] : Directory.EnumerateFiles(entry, "*.md", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
            foreach (var file in files.Order(StringComparer.Ordinal).Where(f => CSharpBlock().IsMatch(File.ReadAllText(f))))
            {
                yield return file;
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> DotnetBuildAsync(string project)
    {
        var start = new ProcessStartInfo("dotnet", ["build", project, "-nologo", "-v:q", "-clp:NoSummary"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = project,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // Not the repository's: the throw-away project lives in the temp directory, outside Directory.Build.props.
        start.Environment.Remove("MSBuildExtensionsPath");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Sanitize(string path) => new(path.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cognite.Files.Generated.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    [GeneratedRegex(@"^using [A-Za-z0-9_.]+;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
