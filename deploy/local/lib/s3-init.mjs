// The evidence bucket and its lifecycle rules on the stack's SeaweedFS, through the S3 API
// (@aws-sdk/client-s3 from the repo's node_modules), as the stack's admin identity:
//   node s3-init.mjs <endpoint> <region> <bucket> <lifecycle.json>   (keys in S3_ACCESS_KEY / S3_SECRET_KEY)
// Idempotent. Exit 0, or 1 with one line on stderr.
import { readFileSync } from 'node:fs';
import { CreateBucketCommand, GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';

const [endpoint, region, bucket, lifecycleFile] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint,
  region,
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  maxAttempts: 1,
});
const deadline = Date.now() + 30_000;
try {
  // A fresh cluster may need a moment to grow its first volume: retry, bounded.
  for (;;) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      break;
    } catch (err) {
      if (err?.name === 'BucketAlreadyOwnedByYou' || err?.name === 'BucketAlreadyExists') break;
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const rules = JSON.parse(readFileSync(lifecycleFile, 'utf8'));
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: rules }));
  const back = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  if (!back.Rules?.length) throw new Error('the lifecycle rules did not read back');
} catch (err) {
  process.stderr.write(`${err?.name ?? 'Error'}: ${err?.message ?? err}\n`);
  process.exit(1);
} finally {
  s3.destroy();
}
