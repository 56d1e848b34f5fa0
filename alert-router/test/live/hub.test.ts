import { pino } from 'pino';
import t from 'tap';
import { createRegistry, parseConfig } from '@streetwatch/platform';
import { encodeLiveChunk } from '@streetwatch/schemas';
import { LiveConfig } from '../../src/live/config.js';
import { LiveHub, type LiveSocket } from '../../src/live/hub.js';

class FakeSocket implements LiveSocket {
  readonly sent: Array<Buffer | string> = [];
  closed: { code: number | undefined; reason: string | undefined } | undefined;
  bufferedAmount = 0;
  send(data: Buffer | string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
  /** Control messages sent (JSON). */
  get messages(): unknown[] {
    return this.sent.filter((x): x is string => typeof x === 'string').map((x) => JSON.parse(x) as unknown);
  }
  /** Video bytes sent, concatenated. */
  get video(): Buffer {
    return Buffer.concat(this.sent.filter((x): x is Buffer => typeof x !== 'string'));
  }
}

function hub(over: Record<string, unknown> = {}): { hub: LiveHub; registry: ReturnType<typeof createRegistry> } {
  const cfg = parseConfig(LiveConfig, {
    signingKeyEnv: 'X',
    gateways: [{ id: 'box-1', tokenSha256: 'a'.repeat(64) }, { id: 'box-2', tokenSha256: 'b'.repeat(64) }],
    cameras: [
      { id: 'cam-1', gateway: 'box-1', zones: { P1: 'dept-a' } },
      { id: 'cam-2', gateway: 'box-1', zones: { S1: 'dept-b' } },
      { id: 'cam-9', gateway: 'box-2', zones: { D1: 'dept-a' } },
    ],
    maxViewersPerCamera: 3,
    viewerBufferBytes: 65_536,
    gopCacheBytes: 1000,
    ...over,
  });
  const registry = createRegistry('live-hub-test');
  return { hub: new LiveHub(cfg, { log: pino({ level: 'silent' }), registry }), registry };
}

function connect(h: LiveHub, gatewayId: string, cameras: string[]): { socket: FakeSocket; link: ReturnType<LiveHub['attachGateway']> } {
  const socket = new FakeSocket();
  const link = h.attachGateway(gatewayId, socket);
  link.onText(JSON.stringify({ type: 'hello', gatewayId, cameras, maxStreams: 2 }));
  return { socket, link };
}

const chunk = (cam: string, bytes: number[], key = false): Buffer => encodeLiveChunk(cam, Buffer.from(bytes), key);

async function metric(registry: ReturnType<typeof createRegistry>, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as Array<{ value: number; labels: Record<string, string> }> | undefined)?.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

t.test('one stream per camera however many watch: the box is told the number of viewers, 0 when the last leaves', async (t) => {
  const { hub: h } = hub();
  const box = connect(h, 'box-1', ['cam-1', 'cam-2']);
  const a = h.addViewer('cam-1', new FakeSocket(), 'li');
  const b = h.addViewer('cam-1', new FakeSocket(), 'wang');
  t.ok(a.ok && b.ok);
  if (!a.ok || !b.ok) return;
  b.onClose();
  a.onClose();
  a.onClose(); // a second close event changes nothing
  t.same(box.socket.messages, [
    { type: 'watch', cameraId: 'cam-1', viewers: 1 },
    { type: 'watch', cameraId: 'cam-1', viewers: 2 },
    { type: 'watch', cameraId: 'cam-1', viewers: 1 },
    { type: 'watch', cameraId: 'cam-1', viewers: 0 },
  ]);
});

t.test('the stream goes to every viewer of its camera and to nobody else; bytes counted both ways', async (t) => {
  const { hub: h, registry } = hub();
  const box = connect(h, 'box-1', ['cam-1', 'cam-2']);
  const s1 = new FakeSocket();
  const s2 = new FakeSocket();
  const other = new FakeSocket();
  t.ok(h.addViewer('cam-1', s1, 'li').ok);
  t.ok(h.addViewer('cam-1', s2, 'wang').ok);
  t.ok(h.addViewer('cam-2', other, 'zhao').ok);
  box.link.onText(JSON.stringify({ type: 'state', cameraId: 'cam-1', state: 'streaming' }));
  box.link.onBinary(chunk('cam-1', [1, 2, 3], true));
  box.link.onBinary(chunk('cam-1', [4, 5]));
  t.same([...s1.video], [1, 2, 3, 4, 5]);
  t.same([...s2.video], [1, 2, 3, 4, 5]);
  t.equal(other.video.length, 0, 'a viewer of another camera gets nothing');
  t.equal(await metric(registry, 'streetwatch_router_live_bytes_received_total', { camera: 'cam-1' }), 5, 'received once');
  t.equal(await metric(registry, 'streetwatch_router_live_bytes_relayed_total', { camera: 'cam-1' }), 10, 'relayed per viewer');
  t.equal(await metric(registry, 'streetwatch_router_live_viewers'), 3);
  t.equal(await metric(registry, 'streetwatch_router_live_streams_active'), 1);
});

t.test('a viewer joining a running stream gets the current picture group first, then the live chunks', async (t) => {
  const { hub: h } = hub();
  const box = connect(h, 'box-1', ['cam-1']);
  t.ok(h.addViewer('cam-1', new FakeSocket(), 'li').ok);
  box.link.onBinary(chunk('cam-1', [9, 9], true)); // an older group
  box.link.onBinary(chunk('cam-1', [1, 1], true));
  box.link.onBinary(chunk('cam-1', [2]));
  const late = new FakeSocket();
  t.ok(h.addViewer('cam-1', late, 'wang').ok);
  box.link.onBinary(chunk('cam-1', [3]));
  t.same([...late.video], [1, 1, 2, 3], 'from the start of the current group, not older');
});

t.test('without a cached group a joining viewer waits for the next group (a decoder needs its start)', async (t) => {
  const { hub: h } = hub({ gopCacheBytes: 0 });
  const box = connect(h, 'box-1', ['cam-1']);
  t.ok(h.addViewer('cam-1', new FakeSocket(), 'li').ok);
  box.link.onBinary(chunk('cam-1', [1], true));
  const late = new FakeSocket();
  t.ok(h.addViewer('cam-1', late, 'wang').ok);
  box.link.onBinary(chunk('cam-1', [2]));
  box.link.onBinary(chunk('cam-1', [3], true));
  t.same([...late.video], [3]);
});

t.test('a slow viewer is skipped to the next picture group; the others get everything', async (t) => {
  const { hub: h, registry } = hub();
  const box = connect(h, 'box-1', ['cam-1']);
  const slow = new FakeSocket();
  const fast = new FakeSocket();
  t.ok(h.addViewer('cam-1', slow, 'li').ok);
  t.ok(h.addViewer('cam-1', fast, 'wang').ok);
  box.link.onBinary(chunk('cam-1', [1], true));
  slow.bufferedAmount = 1_000_000;
  box.link.onBinary(chunk('cam-1', [2]));
  slow.bufferedAmount = 0; // drained, but mid-group: it must wait for the next group
  box.link.onBinary(chunk('cam-1', [3]));
  box.link.onBinary(chunk('cam-1', [4], true));
  t.same([...slow.video], [1, 4]);
  t.same([...fast.video], [1, 2, 3, 4]);
  t.equal(await metric(registry, 'streetwatch_router_live_bytes_skipped_total', { camera: 'cam-1' }), 2);
});

t.test('a box streams only the cameras configured for it', async (t) => {
  const { hub: h, registry } = hub();
  const box = connect(h, 'box-1', ['cam-1', 'cam-9']); // cam-9 belongs to box-2
  t.same(h.status('cam-9'), { id: 'cam-9', gatewayId: 'box-2', online: false, streaming: false, viewers: 0 }, 'not online through box-1');
  connect(h, 'box-2', ['cam-9']);
  const v = new FakeSocket();
  t.ok(h.addViewer('cam-9', v, 'li').ok);
  box.link.onBinary(chunk('cam-9', [6, 6, 6], true));
  t.equal(v.video.length, 0, 'box-1 cannot inject video into cam-9');
  t.equal(await metric(registry, 'streetwatch_router_live_invalid_messages_total', { kind: 'foreign_camera' }), 1);
  box.link.onText('{"type":"state","cameraId":"cam-1","state":"exploded"}');
  box.link.onBinary(Buffer.from([7, 0, 1]));
  t.equal(await metric(registry, 'streetwatch_router_live_invalid_messages_total', { kind: 'control' }), 1, 'a message outside the contract is counted and dropped');
  t.equal(await metric(registry, 'streetwatch_router_live_invalid_messages_total', { kind: 'chunk' }), 1);
  const liar = new FakeSocket();
  h.attachGateway('box-2', liar).onText(JSON.stringify({ type: 'hello', gatewayId: 'box-1', cameras: ['cam-1'], maxStreams: 1 }));
  t.same(liar.closed, { code: 4403, reason: 'gateway id does not match its credential' });
});

t.test('viewers are closed with a code the console shows when the box refuses, fails or goes away', async (t) => {
  const { hub: h } = hub();
  const box = connect(h, 'box-1', ['cam-1', 'cam-2']);
  const refused = new FakeSocket();
  const failed = new FakeSocket();
  const gone = new FakeSocket();
  t.ok(h.addViewer('cam-1', refused, 'li').ok);
  box.link.onText(JSON.stringify({ type: 'state', cameraId: 'cam-1', state: 'refused', code: 'SW_EDGE_LIVE_LIMIT' }));
  t.same(refused.closed, { code: 4429, reason: 'SW_ROUTER_LIVE_BOX_LIMIT' });
  t.ok(h.addViewer('cam-2', failed, 'zhao').ok);
  box.link.onText(JSON.stringify({ type: 'state', cameraId: 'cam-2', state: 'failed', code: 'SW_EDGE_CAMERA_AUTH', message: '401' }));
  t.same(failed.closed, { code: 4502, reason: 'SW_ROUTER_LIVE_STREAM_FAILED' });
  t.ok(h.addViewer('cam-1', gone, 'wang').ok);
  box.link.onClose();
  t.same(gone.closed, { code: 4503, reason: 'SW_ROUTER_LIVE_GATEWAY_OFFLINE' });
  t.same(h.addViewer('cam-1', new FakeSocket(), 'li'), { ok: false, code: 'SW_ROUTER_LIVE_GATEWAY_OFFLINE' }, 'no box: refused at once');
});

t.test('a reconnecting box is told at once who is waiting; unknown cameras and full cameras are refused', async (t) => {
  const { hub: h } = hub();
  connect(h, 'box-1', ['cam-1']);
  for (let i = 0; i < 3; i++) t.ok(h.addViewer('cam-1', new FakeSocket(), `u${i}`).ok);
  t.same(h.addViewer('cam-1', new FakeSocket(), 'u4'), { ok: false, code: 'SW_ROUTER_LIVE_VIEWERS_LIMIT' });
  t.same(h.addViewer('cam-404', new FakeSocket(), 'u5'), { ok: false, code: 'SW_ROUTER_LIVE_CAMERA_NOT_FOUND' });
  const again = connect(h, 'box-1', ['cam-1']);
  t.same(again.socket.messages, [{ type: 'watch', cameraId: 'cam-1', viewers: 3 }]);
});
