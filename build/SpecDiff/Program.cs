using Cognite.Files.SpecDiff;

// Thin entry point; everything, argument parsing included, is in SpecDiffTool so the tests call it directly.
return SpecDiffTool.Run(args, Console.Out, Console.Error);
