using System.Text;

namespace Cognite.Files.Cli.Tests;

/// <summary>
/// Replays a recorded terminal stream (text with the escape sequences Spectre's live display writes: cursor up/down,
/// erase line, colours) into the lines a terminal shows at the end. Enough of a terminal to tell what stays on screen
/// after a live display: a frozen bar, or a line glued onto another one.
/// </summary>
internal static class TerminalScreen
{
    public static IReadOnlyList<string> Replay(string recorded)
    {
        var lines = new List<StringBuilder> { new() };
        int row = 0, column = 0;
        for (var i = 0; i < recorded.Length; i++)
        {
            var c = recorded[i];
            if (c == '\u001b' && i + 1 < recorded.Length && recorded[i + 1] == '[')
            {
                var end = i + 2;
                while (end < recorded.Length && !char.IsAsciiLetter(recorded[end]))
                {
                    end++;
                }

                var parameter = recorded[(i + 2)..end].TrimStart('?');
                var count = int.TryParse(parameter, out var n) ? n : 1;
                switch (recorded[end])
                {
                    case 'A':
                        row = Math.Max(0, row - count);
                        break;
                    case 'B':
                        row += count;
                        break;
                    case 'K' when parameter is "2":
                        Line(row).Clear();
                        break;
                    case 'K':
                        Line(row).Length = Math.Min(Line(row).Length, column);
                        break;
                    case 'G':
                        column = count - 1;
                        break;
                }

                i = end;
                continue;
            }

            switch (c)
            {
                case '\n':
                    row++;
                    column = 0;
                    break;
                case '\r':
                    column = 0;
                    break;
                default:
                    var line = Line(row);
                    while (line.Length < column)
                    {
                        line.Append(' ');
                    }

                    if (column < line.Length)
                    {
                        line[column] = c;
                    }
                    else
                    {
                        line.Append(c);
                    }

                    column++;
                    break;
            }
        }

        return lines.Select(l => l.ToString().TrimEnd()).ToList();

        StringBuilder Line(int index)
        {
            while (lines.Count <= index)
            {
                lines.Add(new StringBuilder());
            }

            return lines[index];
        }
    }
}
