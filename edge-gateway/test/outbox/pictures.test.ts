/**
 * Evidence pictures in the outbox: written with their events in one transaction, kept across a
 * reopen, drained in order, and bounded by outbox.maxPictureBytes with the documented drop policy
 * (update pictures first, then the oldest; expired; oversize), every drop counted.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createLogger, createRegistry, parseConfig, type Registry } from '@streetwatch/platform';
import type { TeardownHost } from '@streetwatch/platform/testing';
import { exampleDetection } from '@streetwatch/schemas';
import { detectionRecord, Outbox, OutboxConfigSchema, type OutboxConfig, type OutboxPhase, type PictureRecord } from '../../src/outbox/index.js';

function harness(tt: TeardownHost) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-pictures-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logs: Array<{ level: string; msg: string }> = [];
  const log = createLogger({ name: 'pictures-test', level: 'info', destination: { write: (s: string) => void logs.push(JSON.parse(s)) } });
  const registry = createRegistry('pictures-test');
  const clock = { now: Date.parse('2026-11-26T06:00:00Z') };
  const path = join(dir, 'outbox.db');
  return {
    registry,
    logs,
    clock,
    open(over: Partial<OutboxConfig> = {}): Outbox {
      const ob = new Outbox(parseConfig(OutboxConfigSchema, { path, ...over }, 'test'), { log, registry, now: () => clock.now });
      ob.start();
      tt.teardown(() => ob.close());
      return ob;
    },
  };
}

const pic = (n: number, phase: OutboxPhase, bytes = 10_000): PictureRecord => {
  const body = Buffer.alloc(bytes, n);
  return { key: `edge/gw/2026-11-26/${n}.jpg`, body, sha256: createHash('sha256').update(body).digest('hex'), contentType: 'image/jpeg', phase };
};
const ev = (n: number, phase: OutboxPhase) => detectionRecord(exampleDetection({ eventId: `e-${n}`, phase }));

async function dropped(registry: Registry, reason: string): Promise<number> {
  const m = await registry.getSingleMetric('streetwatch_edge_evidence_dropped_total')?.get();
  return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

t.test('a picture is stored with its event, survives a reopen and leaves only when acked, in order', async (t) => {
  const h = harness(t);
  const ob = h.open();
  ob.append([ev(1, 'start')], [pic(1, 'start')]);
  ob.append([ev(2, 'update')], [pic(2, 'update')]);
  t.equal(ob.depth(), 2);
  t.equal(ob.pictureDepth(), 2);
  ob.close();
  const again = h.open();
  const waiting = again.peekPictures(10);
  t.same(waiting.map((p) => p.key), ['edge/gw/2026-11-26/1.jpg', 'edge/gw/2026-11-26/2.jpg'], 'both kept across a reopen, oldest first');
  t.ok(waiting[0]?.body.equals(pic(1, 'start').body), 'the bytes as written');
  t.equal(waiting[0]?.sha256, pic(1, 'start').sha256);
  t.ok(again.ackPicture(waiting[0]!.seq));
  t.notOk(again.ackPicture(waiting[0]!.seq), 'an ack is idempotent');
  t.same(again.peekPictures(10).map((p) => p.key), ['edge/gw/2026-11-26/2.jpg']);
  t.equal(again.depth(), 2, 'events are untouched by picture acks');
});

t.test('past maxPictureBytes the oldest update pictures go first, then the oldest of any phase; every drop is counted', async (t) => {
  const h = harness(t);
  const ob = h.open({ maxPictureBytes: 50_000 });
  ob.append([ev(1, 'start')], [pic(1, 'start')]);
  for (let i = 2; i <= 4; i++) ob.append([ev(i, 'update')], [pic(i, 'update')]);
  ob.append([ev(5, 'end')], [pic(5, 'end')]);
  t.equal(ob.pictureBytes(), 50_000, 'exactly at the bound: nothing dropped');
  ob.append([ev(6, 'start')], [pic(6, 'start')]);
  t.same(ob.peekPictures(10).map((p) => p.key.split('/').pop()), ['1.jpg', '3.jpg', '4.jpg', '5.jpg', '6.jpg'], 'the oldest update picture went');
  ob.append([ev(7, 'start')], [pic(7, 'start', 30_000)]);
  t.same(ob.peekPictures(10).map((p) => p.key.split('/').pop()), ['5.jpg', '6.jpg', '7.jpg'], 'then the other update pictures (3, 4), then the oldest of any phase (1)');
  t.equal(await dropped(h.registry, 'full_update'), 3);
  t.equal(await dropped(h.registry, 'full_oldest'), 1);
  t.equal(ob.depth(), 7, 'events are never dropped for pictures');
  t.equal(h.logs.filter((l) => l.msg.startsWith('EVIDENCE QUEUE FULL')).length, 1, 'logged once per episode');
  ob.append([ev(8, 'start')], [pic(8, 'start', 60_000)]);
  t.equal(await dropped(h.registry, 'oversize'), 1, 'a picture larger than the whole bound is never queued');
  t.equal(ob.depth(), 8, 'its event is kept');
});

t.test('pictures older than maxAgeSeconds expire (counted)', async (t) => {
  const h = harness(t);
  const ob = h.open({ maxAgeSeconds: 60 });
  ob.append([ev(1, 'start')], [pic(1, 'start')]);
  h.clock.now += 61_000;
  ob.prune();
  t.equal(ob.pictureDepth(), 0);
  t.equal(await dropped(h.registry, 'expired'), 1);
});
