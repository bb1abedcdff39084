using System.IO.Hashing;
using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

/// <summary>The integrity checksum: CRC-64/ECMA-182, and its combine identity against a one-pass computation.</summary>
public class ContentChecksumTests
{
    [Test]
    public void The_check_value_of_the_catalogue_is_produced_and_formatted()
    {
        Assert.That(ContentChecksum.Compute("123456789"u8), Is.EqualTo("crc64-ecma182:6c40df5f0b497347"));
        Assert.That(ContentChecksum.Compute([]), Is.EqualTo("crc64-ecma182:0000000000000000"));
    }

    [Test]
    public void TryParse_takes_only_its_own_format()
    {
        Assert.That(ContentChecksum.TryParse("crc64-ecma182:6c40df5f0b497347", out var crc), Is.True);
        Assert.That(crc, Is.EqualTo(0x6c40df5f0b497347UL));
        foreach (var bad in new[] { null, "", "crc64-ecma182:6c40df5f0b49734", "crc64nvme:6c40df5f0b497347", "crc64-ecma182:6c40df5f0b49734x", "sha256:6c40df5f0b497347" })
        {
            Assert.That(ContentChecksum.TryParse(bad, out _), Is.False, bad ?? "null");
        }
    }

    [Test]
    public void The_metadata_value_carries_checksum_and_length()
    {
        var value = ContentChecksum.FormatMetadataValue("crc64-ecma182:6c40df5f0b497347", 9);
        Assert.That(value, Is.EqualTo("crc64-ecma182:6c40df5f0b497347;length=9"));
        Assert.That(ContentChecksum.TryParseMetadataValue(value, out var checksum, out var length), Is.True);
        Assert.That((checksum, length), Is.EqualTo(("crc64-ecma182:6c40df5f0b497347", 9L)));
        foreach (var bad in new[] { null, "", "crc64-ecma182:6c40df5f0b497347", "crc64-ecma182:6c40df5f0b497347;length=-1", "crc64-ecma182:6c40df5f0b497347;length=", "x;length=9" })
        {
            Assert.That(ContentChecksum.TryParseMetadataValue(bad, out _, out _), Is.False, bad ?? "null");
        }

        Assert.Throws<ArgumentException>(() => ContentChecksum.FormatMetadataValue("sha256:00", 1));
    }

    [Test]
    public void Combining_the_crcs_of_two_pieces_gives_the_crc_of_the_whole_for_every_split()
    {
        var data = new byte[777];
        new Random(7).NextBytes(data);
        var whole = Crc64.HashToUInt64(data);
        for (var split = 0; split <= data.Length; split++)
        {
            var a = Crc64.HashToUInt64(data.AsSpan(0, split));
            var b = Crc64.HashToUInt64(data.AsSpan(split));
            Assert.That(Crc64Combine.Combine(a, b, data.Length - split), Is.EqualTo(whole), $"split at {split}");
        }
    }

    [Test]
    public void Parts_finishing_in_any_order_combine_to_the_one_pass_checksum()
    {
        var data = new byte[(5 * 1024 * 1024) + 12345];
        new Random(3).NextBytes(data);
        const int part = 1024 * 1024;
        var ranges = new RangeChecksums(data.Length);
        var order = Enumerable.Range(0, (data.Length + part - 1) / part).ToArray();
        new Random(11).Shuffle(order);
        foreach (var i in order)
        {
            var offset = (long)i * part;
            var length = (int)Math.Min(part, data.Length - offset);
            Assert.That(ranges.TryCombine(), Is.Null, "not every part is in yet");
            ranges.Add(offset, length, Crc64.HashToUInt64(data.AsSpan((int)offset, length)));
        }

        Assert.That(ranges.TryCombine(), Is.EqualTo(Crc64.HashToUInt64(data)));
    }

    [Test]
    public void A_gap_or_an_overlap_gives_no_checksum()
    {
        var gap = new RangeChecksums(10);
        gap.Add(0, 4, 1);
        gap.Add(5, 5, 2);
        Assert.That(gap.TryCombine(), Is.Null);

        var overlap = new RangeChecksums(10);
        overlap.Add(0, 6, 1);
        overlap.Add(5, 5, 2);
        Assert.That(overlap.TryCombine(), Is.Null);

        Assert.Throws<ArgumentOutOfRangeException>(() => overlap.Add(8, 5, 3));
        Assert.That(new RangeChecksums(0).TryCombine(), Is.EqualTo(0UL), "empty content");
    }

    [Test]
    public void Lengths_beyond_four_gibibytes_combine_like_repeated_shorter_ones()
    {
        // x^(8n) mod P for large n is built from squares; check it against multiplying step by step.
        var stepwise = Crc64Combine.XPow8N(1L << 20);
        var direct = 1UL;
        for (var i = 0; i < 1 << 12; i++)
        {
            direct = Crc64Combine.MultiplyMod(direct, Crc64Combine.XPow8N(1 << 8));
        }

        Assert.That(stepwise, Is.EqualTo(direct));
        Assert.That(Crc64Combine.XPow8N(5L << 32), Is.EqualTo(Crc64Combine.MultiplyMod(Crc64Combine.XPow8N(4L << 32), Crc64Combine.XPow8N(1L << 32))));
    }

    [Test]
    public async Task ComputeAsync_of_a_stream_and_of_a_file_match_the_one_shot_value()
    {
        var data = new byte[3 * 1024 * 1024 + 5];
        new Random(5).NextBytes(data);
        var expected = ContentChecksum.Compute(data);
        Assert.That(await ContentChecksum.ComputeAsync(new MemoryStream(data)), Is.EqualTo(expected));
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, data);
            Assert.That(await ContentChecksum.ComputeAsync(path), Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
