/**
 * The local stack's evidence store (SeaweedFS, S3 API) for tests: its identities as config
 * (secrets by environment variable, as services name them), clients, reads, and a TCP "uplink"
 * between a client and the store that a test can cut and restore (an edge box losing its 4G).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type ObjectStore, type ObjectStoreConfig } from '../objectstore/store.js';
import type { TeardownHost } from './wait.js';

/** admin: everything; router: read edge/*; box-a / box-b: PUT under edge/<box>/ only. */
export type StackS3Identity = 'admin' | 'router' | 'box-a' | 'box-b';

const VARS: Record<StackS3Identity, string> = {
  admin: 'STREETWATCH_S3_ADMIN',
  router: 'STREETWATCH_S3_ROUTER',
  'box-a': 'STREETWATCH_S3_EDGE_BOX_A',
  'box-b': 'STREETWATCH_S3_EDGE_BOX_B',
};

function need(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set: run \`npm run stack:up\` and source .stack/env`);
  return v;
}

/** The stack's store as a service config names it (`endpoint` may be overridden, e.g. by an uplink proxy). */
export function stackObjectStoreConfig(identity: StackS3Identity, opts: { endpoint?: string; env?: NodeJS.ProcessEnv } = {}): ObjectStoreConfig {
  const env = opts.env ?? process.env;
  return {
    endpoint: opts.endpoint ?? need(env, 'STREETWATCH_S3_ENDPOINT'),
    region: need(env, 'STREETWATCH_S3_REGION'),
    bucket: need(env, 'STREETWATCH_S3_BUCKET'),
    forcePathStyle: true,
    accessKeyIdEnv: `${VARS[identity]}_ACCESS_KEY`,
    secretAccessKeyEnv: `${VARS[identity]}_SECRET_KEY`,
    requestTimeoutMs: 5000,
  };
}

/** The same, resolved (credentials read from the environment). */
export function stackObjectStore(identity: StackS3Identity, opts: { endpoint?: string; env?: NodeJS.ProcessEnv } = {}): ObjectStore {
  const env = opts.env ?? process.env;
  const c = stackObjectStoreConfig(identity, opts);
  return {
    endpoint: c.endpoint as string,
    region: c.region,
    bucket: c.bucket,
    forcePathStyle: true,
    requestTimeoutMs: c.requestTimeoutMs,
    credentials: { accessKeyId: need(env, c.accessKeyIdEnv as string), secretAccessKey: need(env, c.secretAccessKeyEnv as string) },
  };
}

/** A client of the stack's store as `identity`, destroyed at teardown. */
export function stackS3Client(t: TeardownHost, identity: StackS3Identity = 'admin'): { s3: S3Client; bucket: string } {
  const store = stackObjectStore(identity);
  const s3 = createS3Client(store);
  t.teardown(() => s3.destroy());
  return { s3, bucket: store.bucket };
}

/** An object's bytes, or undefined when it does not exist. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

export interface Uplink {
  /** `http://127.0.0.1:<port>`: give this to the client instead of the store's endpoint. */
  readonly endpoint: string;
  /** Cut the link: open connections are destroyed, new ones refused (closed right away). */
  cut(): void;
  restore(): void;
  readonly connections: number;
}

/** A TCP relay to the stack's S3 endpoint that a test can cut and restore; closed at teardown. */
export async function s3Uplink(t: TeardownHost, target = process.env.STREETWATCH_S3_ENDPOINT): Promise<Uplink> {
  if (target === undefined) throw new Error('STREETWATCH_S3_ENDPOINT is not set: run `npm run stack:up` and source .stack/env');
  const url = new URL(target);
  let up = true;
  let count = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    count++;
    const upstream = connect(Number(url.port), url.hostname);
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cut() {
      up = false;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      up = true;
    },
    get connections() {
      return count;
    },
  };
}
