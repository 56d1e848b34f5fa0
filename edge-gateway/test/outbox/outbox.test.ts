import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import t from 'tap';
import { createLogger, createRegistry, parseConfig, type Registry } from '@streetwatch/platform';
import type { TeardownHost } from '@streetwatch/platform/testing';
import { exampleCameraHealth, exampleDetection } from '@streetwatch/schemas';
import {
  cameraHealthRecord,
  depthOrClosed,
  detectionRecord,
  Outbox,
  OutboxConfigSchema,
  type OutboxConfig,
  type OutboxPhase,
  type OutboxRecord,
  WakeableSleep,
} from '../../src/outbox/index.js';

interface Harness {
  path: string;
  registry: Registry;
  logs: Array<{ level: string; msg: string; [k: string]: unknown }>;
  clock: { now: number };
  open(over?: Partial<OutboxConfig>): Outbox;
}

function harness(tt: TeardownHost): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'sw-outbox-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logs: Harness['logs'] = [];
  const log = createLogger({ name: 'outbox-test', level: 'info', destination: { write: (s: string) => void logs.push(JSON.parse(s)) } });
  const registry = createRegistry('outbox-test');
  const clock = { now: Date.parse('2026-11-26T06:00:00Z') };
  const path = join(dir, 'outbox.db');
  return {
    path,
    registry,
    logs,
    clock,
    open(over = {}) {
      const ob = new Outbox(parseConfig(OutboxConfigSchema, { path, ...over }, 'test'), { log, registry, now: () => clock.now });
      ob.start();
      tt.teardown(() => ob.close());
      return ob;
    },
  };
}

const det = (cam: string, n: number, phase: OutboxPhase = 'start'): OutboxRecord =>
  detectionRecord(exampleDetection({ eventId: `${cam}-${n}`, cameraId: cam, phase }));
const health = (cam: string, n: number): OutboxRecord => cameraHealthRecord(exampleCameraHealth({ eventId: `${cam}-h${n}`, cameraId: cam }));
const size = (r: OutboxRecord): number => Buffer.byteLength(r.key) + Buffer.byteLength(r.value) + Buffer.byteLength(r.eventId);

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

t.test('records come back oldest first, in insertion order, and survive a reopen', async (t) => {
  const h = harness(t);
  const ob = h.open();
  const first = ob.append([det('cam-1', 1), health('cam-1', 1), det('cam-2', 1)]);
  const second = ob.append([det('cam-1', 2, 'update'), det('cam-2', 2, 'end')]);
  const seqs = [...first.seqs, ...second.seqs];
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'seq grows with insertion');
  t.same(ob.peek(10).map((r) => r.eventId), ['cam-1-1', 'cam-1-h1', 'cam-2-1', 'cam-1-2', 'cam-2-2']);
  t.same(ob.peek(2).map((r) => r.eventId), ['cam-1-1', 'cam-1-h1'], 'peek honours its limit');
  t.equal(ob.depth(), 5);
  const bytes = ob.bytes();
  t.ok(bytes > 0);

  t.equal(ob.ack([seqs[0] ?? -1, seqs[2] ?? -1, 999999]), 2, 'ack removes the given seqs, ignores unknown ones');
  ob.close();

  const again = h.open();
  t.equal(again.depth(), 3, 'depth restored from disk');
  t.same(again.peek(10).map((r) => r.eventId), ['cam-1-h1', 'cam-1-2', 'cam-2-2'], 'order and content survive the reopen');
  const [rec] = again.peek(1);
  t.equal(rec?.topic, 'cameraHealth');
  t.equal(rec?.key, 'cam-1');
  // the newest records are acked: seq still never goes back (AUTOINCREMENT)
  again.ack(again.peek(10).map((r) => r.seq));
  t.equal(again.depth(), 0);
  t.equal(again.bytes(), 0);
  const later = again.append([det('cam-3', 1)]);
  t.ok((later.seqs[0] ?? 0) > Math.max(...seqs), 'a seq is never reused, even after the newest rows were acked');
});

t.test('a second instance cannot open an outbox that is in use (one gateway per file)', async (t) => {
  const h = harness(t);
  const ob = h.open();
  ob.append([det('cam-1', 1)]);
  t.throws(() => h.open(), { code: 'SW_EDGE_OUTBOX_UNAVAILABLE' });
});

t.test('malformed records are refused before anything is written; use after close is an error', async (t) => {
  const h = harness(t);
  const ob = h.open();
  t.throws(() => ob.append([det('cam-1', 1), { topic: 'alerts' as never, key: 'k', value: '{}', eventId: 'e' }]), {
    code: 'SW_EDGE_OUTBOX_RECORD_INVALID',
  });
  t.throws(() => ob.append([{ topic: 'detections', key: '', value: '{}', eventId: 'e' }]), { code: 'SW_EDGE_OUTBOX_RECORD_INVALID' });
  t.equal(ob.depth(), 0, 'the valid record of the refused batch was not written either');
  ob.close();
  ob.close();
  t.throws(() => ob.append([det('cam-1', 1)]), { code: 'SW_EDGE_OUTBOX_CLOSED' });
});

t.test('when full it drops the oldest update messages first, then the oldest of anything, loudly and counted', async (t) => {
  const h = harness(t);
  const start = [det('a', 1, 'start'), det('a', 2, 'update'), det('a', 3, 'update'), health('a', 4), det('a', 5, 'end')];
  const maxBytes = start.reduce((s, r) => s + size(r), 0);
  const ob = h.open({ maxBytes });
  ob.append(start);
  t.equal(ob.isFull(), false);
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_full'), 0);
  const ids = (): string[] => ob.peek(100).map((r) => r.eventId);

  t.equal(ob.append([det('a', 6, 'start')]).dropped, 1);
  t.same(ids(), ['a-1', 'a-3', 'a-h4', 'a-5', 'a-6'], 'oldest update (a-2) went first');
  ob.append([det('a', 7, 'update')]);
  t.same(ids(), ['a-1', 'a-h4', 'a-5', 'a-6', 'a-7'], 'then the next oldest update (a-3)');
  ob.append([det('a', 8, 'start')]);
  t.same(ids(), ['a-1', 'a-h4', 'a-5', 'a-6', 'a-8'], 'an incoming update is itself the oldest update left');
  ob.append([det('a', 9, 'end')]);
  t.same(ids(), ['a-h4', 'a-5', 'a-6', 'a-8', 'a-9'], 'no update left: the oldest record of any kind (start a-1) goes');
  t.ok(ob.bytes() <= maxBytes, 'the byte bound holds');

  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_dropped_total', { reason: 'full_update' }), 3);
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_dropped_total', { reason: 'full_oldest' }), 1);
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_full'), 1);
  t.equal(ob.isFull(), true);
  t.equal(h.logs.filter((l) => l.level === 'error' && /OUTBOX FULL/.test(l.msg)).length, 1, 'one error for the state change, not one per drop');

  ob.ack(ob.peek(1).map((r) => r.seq));
  t.equal(ob.isFull(), true, 'still above the low watermark (0.9 x maxBytes) after one small ack');
  ob.ack(ob.peek(2).map((r) => r.seq));
  t.equal(ob.isFull(), false, 'below the low watermark: no longer full');
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_full'), 0);
  t.equal(h.logs.filter((l) => l.level === 'warn' && /no longer full/.test(l.msg)).length, 1);
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_depth'), 2);
});

t.test('when full a camera heartbeat (appended droppable) goes before any change of state or violation', async (t) => {
  const h = harness(t);
  const beat = (n: number): OutboxRecord => ({ ...health('a', n), droppable: true });
  const first = [health('a', 1), beat(2), det('a', 3, 'start'), beat(4)];
  const ob = h.open({ maxBytes: first.reduce((s, r) => s + size(r), 0) });
  ob.append(first);
  const ids = (): string[] => ob.peek(100).map((r) => r.eventId);
  ob.append([health('a', 5)]);
  t.same(ids(), ['a-h1', 'a-3', 'a-h4', 'a-h5'], 'the oldest heartbeat (a-h2) made room; the change a-h1 before it stays');
  ob.append([health('a', 6)]);
  t.same(ids(), ['a-h1', 'a-3', 'a-h5', 'a-h6'], 'then the next heartbeat');
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_dropped_total', { reason: 'full_update' }), 2, 'counted with the updates');
});

t.test('a record larger than the whole outbox is refused and counted; the rest is kept', async (t) => {
  const h = harness(t);
  const ob = h.open({ maxBytes: 2048 });
  const big: OutboxRecord = { topic: 'cameraHealth', key: 'cam-1', eventId: 'big', value: JSON.stringify({ pad: 'x'.repeat(3000) }) };
  const r = ob.append([det('cam-1', 1), big]);
  t.equal(r.seqs.length, 1);
  t.same(ob.peek(10).map((x) => x.eventId), ['cam-1-1']);
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_dropped_total', { reason: 'oversize' }), 1);
});

t.test('records older than maxAgeSeconds expire, counted, with one error per episode', async (t) => {
  const h = harness(t);
  const ob = h.open({ maxAgeSeconds: 60 });
  ob.append([det('cam-1', 1)]);
  h.clock.now += 30_000;
  ob.append([det('cam-1', 2)]);
  t.equal(ob.oldestAgeMs(), 30_000);
  h.clock.now += 31_000;
  t.equal(ob.prune(), 1, 'the 61 s old record expired');
  t.same(ob.peek(10).map((r) => r.eventId), ['cam-1-2']);
  t.equal(ob.oldestAgeMs(), 31_000);
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_oldest_age_seconds'), 31);
  h.clock.now += 30_000;
  ob.append([det('cam-1', 3)]);
  t.same(ob.peek(10).map((r) => r.eventId), ['cam-1-3'], 'append expires old records too');
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_dropped_total', { reason: 'expired' }), 2);
  t.equal(h.logs.filter((l) => l.level === 'error' && l.reason === 'expired').length, 1, 'one error for the episode');
  ob.ack(ob.peek(1).map((r) => r.seq));
  t.ok(h.logs.some((l) => l.level === 'info' && /acknowledges again/.test(l.msg)), 'the episode ends with the next ack');
});

t.test('a rejected record moves to the rejected table with its reason, counted', async (t) => {
  const h = harness(t);
  const ob = h.open();
  const { seqs } = ob.append([det('cam-1', 1), det('cam-1', 2)]);
  t.equal(ob.reject(seqs[0] ?? -1, 'SW_CONTRACT_INVALID', '/score: must be <= 1'), true);
  t.equal(ob.reject(seqs[0] ?? -1, 'SW_CONTRACT_INVALID', 'again'), false, 'already gone');
  t.same(ob.peek(10).map((r) => r.eventId), ['cam-1-2']);
  const [rej] = ob.rejected();
  t.match(rej, { eventId: 'cam-1-1', code: 'SW_CONTRACT_INVALID', reason: '/score: must be <= 1', topic: 'detections' });
  t.equal(await metric(h.registry, 'streetwatch_edge_outbox_rejected_total', { topic: 'detections', code: 'SW_CONTRACT_INVALID' }), 1);
  t.equal(ob.depth(), 1);
});

// ---- WakeableSleep: the publisher's and the uploader's waits between drains (in this file: no
// process of its own for five small cases) ------------------------------------------------------
const HOUR = 3_600_000;

/** Whether `p` has settled by the next turn of the event loop (no timing involved). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await tick();
  return done;
}

t.test('WakeableSleep: an idle wait ends when something is appended', async (t) => {
  const s = new WakeableSleep();
  const wait = s.sleep(HOUR, true);
  t.notOk(await settled(wait), 'waiting');
  s.appended();
  t.ok(await settled(wait), 'the append ended it, an hour early');
  s.stop();
});

t.test('WakeableSleep: a back-off is not cut short by appends, only by stop()', async (t) => {
  const s = new WakeableSleep();
  const wait = s.sleep(HOUR, false);
  s.appended();
  s.appended();
  t.notOk(await settled(wait), 'still backing off after two appends');
  s.stop();
  t.ok(await settled(wait), 'stop() ended it');
});

t.test('WakeableSleep: after stop() every wait returns at once, and stop() may be called again', async (t) => {
  const s = new WakeableSleep();
  s.stop();
  t.ok(await settled(s.sleep(HOUR, false)), 'a back-off after stop returns at once');
  t.ok(await settled(s.sleep(HOUR, true)), 'an idle wait too');
  s.stop();
});

t.test('WakeableSleep: a wait that runs its course ends by itself', async (t) => {
  const s = new WakeableSleep();
  await s.sleep(5, true);
  t.pass('5 ms wait returned');
});

t.test('depthOrClosed: a depth read from a closed outbox is -1, not a throw', async (t) => {
  t.equal(depthOrClosed(() => 7), 7);
  t.equal(
    depthOrClosed(() => {
      throw new Error('The database connection is not open');
    }),
    -1,
  );
});
