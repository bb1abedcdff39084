// The `cognite-files-emulator` dotnet tool runs the emulator's own command line, flags and output unchanged
// (src/Cognite.Files.Emulator/Program.cs; this assembly sees it through InternalsVisibleTo).
return await Cognite.Files.Emulator.Program.Main(args).ConfigureAwait(false);
