/**
 * The evidence object store, through the S3 API: Aliyun OSS (endpoint
 * `https://s3.oss-<region>.aliyuncs.com`, virtual-hosted style only), any S3-compatible store,
 * and locally SeaweedFS (path style). One connection config for every service; the secret key
 * is never inline in config: an environment variable or a file holds it (resolved once at start,
 * like every secret, see config/secrets.ts).
 *
 * The client sends checksums only where an operation requires one (`WHEN_REQUIRED`): since
 * 2025 the AWS SDKs default to CRC32 trailers with aws-chunked bodies, which OSS and several
 * S3-compatible stores refuse. Integrity is kept by Content-MD5 on PUT (checked by the store)
 * and the sha256 every event carries (checked by the reader).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Type, type Static } from '@sinclair/typebox';
import { readSecret, resolveSecretField, secretFieldSchema, type SecretContext } from '../config/secrets.js';

export const ObjectStoreConfigSchema = Type.Object(
  {
    endpoint: Type.Optional(
      Type.String({ pattern: '^https?://[^\\s/]+(/.*)?$', maxLength: 1024, description: 'S3 API endpoint, e.g. https://s3.oss-cn-hangzhou.aliyuncs.com (default: AWS for the region)' }),
    ),
    region: Type.String({ minLength: 1, maxLength: 64, description: 'SigV4 region (OSS: the region id, e.g. cn-hangzhou)' }),
    bucket: Type.String({ minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$' }),
    forcePathStyle: Type.Boolean({ default: false, description: 'path-style URLs (SeaweedFS locally); OSS accepts only virtual-hosted style (false)' }),
    accessKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'access key id (not secret by itself)' })),
    accessKeyIdEnv: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'environment variable holding the access key id' })),
    ...secretFieldSchema('secretAccessKey', { what: 'the secret key' }),
    requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'bound on one request (connect + transfer)' }),
  },
  { additionalProperties: false },
);
export type ObjectStoreConfig = Static<typeof ObjectStoreConfigSchema>;

/** The connection with its credentials resolved (what services receive; never logged whole). */
export interface ObjectStore {
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly forcePathStyle: boolean;
  readonly requestTimeoutMs: number;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}


/**
 * Resolve the credentials a config names. Problems go to `errors` as `{ path, message }` under
 * `prefix` (a JSON pointer, e.g. `/evidence/store`), naming keys and variables, never values.
 */
export function resolveObjectStore(
  cfg: ObjectStoreConfig,
  prefix: string,
  ctx: SecretContext,
  errors: Array<{ path: string; message: string }>,
): ObjectStore | undefined {
  let accessKeyId = cfg.accessKeyId;
  if ((cfg.accessKeyId === undefined) === (cfg.accessKeyIdEnv === undefined)) {
    errors.push({ path: `${prefix}/accessKeyId`, message: 'give exactly one of accessKeyId, accessKeyIdEnv' });
  } else if (cfg.accessKeyIdEnv !== undefined) {
    const r = readSecret({ env: cfg.accessKeyIdEnv }, ctx);
    if (r.ok) accessKeyId = r.value;
    else errors.push({ path: `${prefix}/accessKeyIdEnv`, message: r.problem });
  }
  const key = resolveSecretField(cfg, 'secretAccessKey', prefix, ctx);
  if (!key.ok) errors.push(key.error);
  const secretAccessKey = key.ok ? key.value : undefined;
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return {
    ...(cfg.endpoint !== undefined && { endpoint: cfg.endpoint }),
    region: cfg.region,
    bucket: cfg.bucket,
    forcePathStyle: cfg.forcePathStyle,
    requestTimeoutMs: cfg.requestTimeoutMs,
    credentials: { accessKeyId, secretAccessKey },
  };
}

/** An S3 client for the store: one attempt per call (callers own retries and backoff). */
export function createS3Client(store: ObjectStore): S3Client {
  return new S3Client({
    region: store.region,
    ...(store.endpoint !== undefined && { endpoint: store.endpoint }),
    forcePathStyle: store.forcePathStyle,
    credentials: { accessKeyId: store.credentials.accessKeyId, secretAccessKey: store.credentials.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { connectionTimeout: Math.min(10_000, store.requestTimeoutMs), requestTimeout: store.requestTimeoutMs },
  });
}

/** S3 error codes that retrying cannot fix (credentials, permissions, bucket). */
const REFUSALS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket', 'AllAccessDisabled', 'InvalidBucketName', 'Forbidden']);

/** A stable code for an S3 client failure: the S3 error code, the HTTP status, or the network error. */
export function s3ErrorCode(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  if (e && typeof e.Code === 'string') return e.Code;
  if (e && typeof e.code === 'string') return e.code; // ECONNREFUSED, ETIMEDOUT...
  if (e && typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'S3ServiceException') return e.name;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined ? `HTTP_${status}` : 'unknown';
}

/** The store refused us for a reason a retry will not change (still retried, but logged as a config problem). */
export function isS3Refusal(code: string): boolean {
  return REFUSALS.has(code) || code === 'HTTP_403';
}
