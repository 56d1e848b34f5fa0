/**
 * The uplink to the evidence store (the real SeaweedFS of the stack, S3 API) goes down while a
 * car stands in a no-parking zone: the gateway keeps detecting, every event still reaches Kafka,
 * the pictures wait in the outbox; once the uplink is back every picture arrives exactly once,
 * byte-for-byte (sha256 of its event), in order. The box's own S3 identity is used: it may only
 * PUT under edge/box-a/. And no secret of the store reaches the logs.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readObject, s3Uplink, stackObjectStoreConfig, stackS3Client, testKafka, uniqueId, waitFor } from '@streetwatch/platform/testing';
import t from 'tap';
import { scenePath } from '../support/video.js';
import { captureLog, collectEdgeTopics, startTestGateway, tempDir, testConfig } from '../e2e/fixtures/gateway.js';

const ORIGIN = Date.parse('2024-05-06T06:00:00.000Z');

t.test('an evidence-store outage during a violation: every picture arrives once, matching its sha256', async (t) => {
  const k = await testKafka(t, { label: 'edge-upload-outage' });
  const topics = await collectEdgeTopics(t, k);
  const dir = await tempDir(t, 'edge-upload');
  const logs = captureLog('debug', { production: true });
  const admin = stackS3Client(t, 'admin');
  const uplink = await s3Uplink(t);
  uplink.cut(); // the box starts with its uplink to the store down
  const prefix = `edge/box-a/${uniqueId('outage')}/`;
  const raw = await testConfig(dir, k, {
    evidence: { store: { ...stackObjectStoreConfig('box-a', { endpoint: uplink.endpoint }), prefix, requestTimeoutMs: 2000, backoffInitialMs: 100, backoffMaxMs: 400, idleMs: 200 } },
    analytics: { tracker: { lostMemorySeconds: 5, stationaryWindowSeconds: 5 }, updateIntervalSeconds: 5 },
    cameras: [
      {
        id: 'cam-03',
        source: { type: 'file', path: scenePath('parking.mp4'), startTime: new Date(ORIGIN).toISOString() },
        analytic: { fps: 1, width: 640, height: 480 },
        zones: [{ id: 'P1', type: 'illegal_parking', polygon: [[0.5, 0.75], [1, 0.75], [1, 1], [0.5, 1]], dwellSeconds: 10, gapSeconds: 5 }],
      },
    ],
  });
  const gateway = await startTestGateway(t, raw, logs.log);
  await waitFor('the end of the replay', () => gateway.camera('cam-03')?.status().state === 'ended', { timeoutMs: 120_000 });
  const end = await waitFor('the violation end on Kafka', () => topics.detections.find((d) => d.phase === 'end'), { timeoutMs: 20_000 });
  t.ok(end, 'events reach Kafka while the store is unreachable');
  const refs = topics.detections.map((d) => d.evidence).filter((e): e is { key: string; sha256: string; bytes: number; contentType: 'image/jpeg' } => e !== undefined && 'key' in e);
  const keys = [...new Set(refs.map((r) => r.key))];
  t.ok(keys.length >= 3, `pictures of start, updates and end (${keys.length})`);
  t.equal(gateway.outbox?.pictureDepth(), keys.length, 'every picture waits in the outbox');
  const failing = await (await fetch(`${gateway.url}/metrics`)).text();
  t.match(failing, /streetwatch_edge_evidence_store_reachable(\{[^}]*\})? 0\n/, 'the store shows as unreachable');
  t.match(failing, /streetwatch_edge_evidence_upload_errors_total\{[^}]*code="[^"]+"[^}]*\} [1-9]/, 'failed attempts are counted');

  uplink.restore();
  await waitFor('the queue drained to the store', () => gateway.outbox?.pictureDepth() === 0, { timeoutMs: 30_000 });
  const listed = await admin.s3.send(new ListObjectsV2Command({ Bucket: admin.bucket, Prefix: prefix }));
  t.same((listed.Contents ?? []).map((o) => o.Key).sort(), [...keys].sort(), 'exactly the pictures the events name, nothing else');
  for (const r of refs) {
    const body = await readObject(admin.s3, admin.bucket, r.key);
    if (!body) {
      t.fail(`${r.key} missing`);
      continue;
    }
    t.equal(createHash('sha256').update(body).digest('hex'), r.sha256, `${r.key.slice(prefix.length)} matches its event`);
    t.equal(body.length, r.bytes);
  }
  const after = await (await fetch(`${gateway.url}/metrics`)).text();
  t.match(after, new RegExp(`streetwatch_edge_evidence_uploaded_total(\\{[^}]*\\})? ${keys.length}\\n`), 'each picture PUT once');
  t.match(after, /streetwatch_edge_evidence_store_reachable(\{[^}]*\})? 1\n/);
  t.notMatch(after, /streetwatch_edge_evidence_dropped_total\{/, 'nothing dropped');

  // the order of arrival is the order of capture: uploads are strictly sequential from the outbox
  const order = logs.entries().filter((e) => e.msg === 'evidence rendered').map((e) => e.key as string);
  t.same(order, keys, 'pictures rendered in the order of their events');

  // no secret of the store in any log line (debug level, failures included)
  const secret = process.env.STREETWATCH_S3_EDGE_BOX_A_SECRET_KEY as string;
  logs.log.info({ config: gateway.config }, 'the whole config, as someone might log it');
  const text = logs.lines.join('\n');
  t.ok(secret.length >= 16 && !text.includes(secret), 'the S3 secret key never appears in the logs');
  t.match(text, /"secretAccessKey":"\*\*\*"/, 'the resolved secret key is redacted where it appears');
  t.equal(gateway.config.evidence.objectStore?.credentials.secretAccessKey, secret, 'and logging did not touch the live config');
});
