using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

public class MultipartPlannerTests
{
    private const long MiB = 1024 * 1024;

    /// <summary>A multipart plan (SingleUploadThreshold 0: only 0 bytes goes as one request), unless a threshold is given.</summary>
    private static UploadPlan Plan(long length, long? partSize = null, long singleUploadThreshold = 0)
    {
        var options = new TransferOptions { SingleUploadThreshold = singleUploadThreshold };
        if (partSize is { } size)
        {
            options.PartSize = size;
        }

        return MultipartPlanner.Plan(length, options);
    }

    [TestCase(1L)]
    [TestCase(16 * MiB)]
    public void Content_up_to_the_default_threshold_is_one_single_request(long length)
    {
        var plan = MultipartPlanner.Plan(length, new TransferOptions());
        Assert.That(plan.SingleRequest, Is.True);
        Assert.That(plan.PartCount, Is.EqualTo(1));
        Assert.That(plan.GetPartLength(0), Is.EqualTo(length));
    }

    [Test]
    public void One_byte_above_the_threshold_is_multipart_even_when_it_fits_one_part()
    {
        var plan = MultipartPlanner.Plan(16 * MiB + 1, new TransferOptions());
        Assert.That(plan.SingleRequest, Is.False);
        Assert.That(plan.PartCount, Is.EqualTo(1), "below the 50 MiB part size: a session of one part");
    }

    [Test]
    public void A_threshold_above_the_part_size_is_still_one_request()
    {
        var plan = Plan(30 * MiB, partSize: 5 * MiB, singleUploadThreshold: 32 * MiB);
        Assert.That(plan.SingleRequest, Is.True);
        Assert.That(plan.PartCount, Is.EqualTo(1));
        Assert.That(plan.PartSize, Is.EqualTo(30 * MiB));
    }

    [TestCase(-1L)]
    [TestCase(MultipartLimits.MaxSingleUploadSize + 1)]
    public void Options_validation_refuses_a_threshold_outside_0_to_5000_MB(long threshold)
    {
        var options = new TransferOptions { SingleUploadThreshold = threshold };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.That(ex!.ParamName, Is.EqualTo(nameof(TransferOptions.SingleUploadThreshold)));
    }

    [Test]
    public void Zero_bytes_is_one_empty_single_request()
    {
        var plan = Plan(0);
        Assert.That(plan.SingleRequest, Is.True, "0 is never above the threshold");
        Assert.That(plan.PartCount, Is.EqualTo(1));
        Assert.That(plan.GetPartOffset(0), Is.Zero);
        Assert.That(plan.GetPartLength(0), Is.Zero);
    }

    [TestCase(1L)]
    [TestCase(5 * MiB - 1)]
    [TestCase(5 * MiB)]
    [TestCase(5 * MiB + 1)]
    [TestCase(50 * MiB)]
    public void Content_up_to_the_preferred_part_size_is_one_part(long length)
    {
        var plan = Plan(length);
        Assert.That(plan.SingleRequest, Is.False);
        Assert.That(plan.PartCount, Is.EqualTo(1));
        Assert.That(plan.GetPartLength(0), Is.EqualTo(length));
    }

    [Test]
    public void Five_MiB_plus_one_with_5_MiB_parts_is_two_parts_the_last_one_byte()
    {
        var plan = Plan(5 * MiB + 1, 5 * MiB);
        Assert.That(plan.PartCount, Is.EqualTo(2));
        Assert.That(plan.GetPartLength(0), Is.EqualTo(5 * MiB));
        Assert.That(plan.GetPartLength(1), Is.EqualTo(1));
    }

    // The Python SDK's expectations (default 50 MiB parts).
    [TestCase(100 * MiB, 2)]
    [TestCase(1024 * MiB, 21)]
    [TestCase(10 * 1024 * MiB, 205)]
    [TestCase(100 * 1024 * MiB, 250)]
    [TestCase(200 * 1024 * MiB, 250)]
    public void Matches_the_python_sdk(long length, int parts) => Assert.That(Plan(length).PartCount, Is.EqualTo(parts));

    [Test]
    public void Exactly_250_parts_at_the_preferred_size()
    {
        var plan = Plan(250 * 5 * MiB, 5 * MiB);
        Assert.That(plan.PartCount, Is.EqualTo(250));
        Assert.That(plan.PartSize, Is.EqualTo(5 * MiB));
        Assert.That(plan.GetPartLength(249), Is.EqualTo(5 * MiB));
    }

    [Test]
    public void One_byte_past_250_parts_grows_the_part_size_instead_of_the_count()
    {
        var plan = Plan(250 * 5 * MiB + 1, 5 * MiB);
        Assert.That(plan.PartCount, Is.EqualTo(250));
        Assert.That(plan.PartSize, Is.EqualTo(5 * MiB + 1));
        Assert.That(plan.GetPartLength(249), Is.EqualTo(5 * MiB + 1 - 249));
    }

    [Test]
    public void The_user_part_size_is_honoured()
    {
        var plan = Plan(100 * MiB, 8 * MiB);
        Assert.That(plan.PartSize, Is.EqualTo(8 * MiB));
        Assert.That(plan.PartCount, Is.EqualTo(13));
        Assert.That(plan.GetPartLength(12), Is.EqualTo(4 * MiB));
    }

    [Test]
    public void The_maximum_file_is_250_parts_of_4000_MiB()
    {
        var plan = Plan(MultipartLimits.MaxFileSize);
        Assert.That(plan.PartCount, Is.EqualTo(250));
        Assert.That(plan.PartSize, Is.EqualTo(MultipartLimits.MaxPartSize));
        Assert.That(plan.GetPartLength(249), Is.EqualTo(MultipartLimits.MaxPartSize));
    }

    [Test]
    public void One_byte_over_the_maximum_fails_clearly()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Plan(MultipartLimits.MaxFileSize + 1));
        Assert.That(ex!.Message, Does.Contain("250 parts").And.Contain(MultipartLimits.MaxFileSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Negative_lengths_are_refused() => Assert.Throws<ArgumentOutOfRangeException>(() => Plan(-1));

    [TestCase(0L, 5 * MiB)]
    [TestCase(123_456_789L, 5 * MiB)]
    [TestCase(7 * 1024 * MiB + 3, 50 * MiB)]
    [TestCase(300 * 1024 * MiB + 17, 64 * MiB)]
    [TestCase(MultipartLimits.MaxFileSize - 1, 5 * MiB)]
    public void Parts_tile_the_content_within_CDF_rules(long length, long preferred)
    {
        var plan = Plan(length, preferred);
        Assert.That(plan.PartCount, Is.InRange(1, 250));
        long next = 0;
        for (var i = 0; i < plan.PartCount; i++)
        {
            Assert.That(plan.GetPartOffset(i), Is.EqualTo(next));
            var len = plan.GetPartLength(i);
            Assert.That(len, Is.LessThanOrEqualTo(MultipartLimits.MaxPartSize));
            if (i < plan.PartCount - 1)
            {
                Assert.That(len, Is.GreaterThanOrEqualTo(MultipartLimits.MinPartSize));
            }

            Assert.That(len > 0 || length == 0, Is.True);
            next += len;
        }

        Assert.That(next, Is.EqualTo(length));
    }

    [Test]
    public void Options_validation_refuses_parts_below_5_MiB()
    {
        var options = new TransferOptions { PartSize = 5 * MiB - 1 };
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }
}
