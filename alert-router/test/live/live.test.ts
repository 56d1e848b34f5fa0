/**
 * The live view end to end, every part real: the gst-rtsp-server test camera (edge-gateway
 * testkit), the gateway's live link and transcodes (@streetwatch/edge-gateway/live) connecting
 * OUTBOUND to the router, the router's ticket API and relay on a real HTTP port, PostgreSQL for
 * tickets and audit, and headless Chromium playing the stream with the console's JSMpeg player.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import t from 'tap';
import WebSocket from 'ws';
import { Value } from '@sinclair/typebox/value';
import { parseConfig } from '@streetwatch/platform';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import { LiveConfigSchema, LiveUplink, type LiveConfig as EdgeLiveConfig } from '@streetwatch/edge-gateway/live';
import { LIVE_SUBPROTOCOL } from '@streetwatch/schemas';
import { startRtspCamera } from '../../../edge-gateway/testkit/rtsp-camera.js';
import { sha256Hex } from '../../src/api/auth.js';
import { LiveConfig } from '../../src/live/config.js';
import { LiveHub } from '../../src/live/hub.js';
import { liveApiRoutes, registerLive, type LiveDeps } from '../../src/live/routes.js';
import { LiveTickets } from '../../src/live/tickets.js';
import { alertFor, auth, harness, TOKENS } from '../workorders/fixtures/harness.js';

const STEP = 20_000;
const video = join(process.env.STREETWATCH_SCENES_DIR ?? join(homedir(), '.cache/streetwatch/scenes'), 'vtest-20s.mp4');
const GATEWAY_TOKEN = randomBytes(24).toString('base64url');

async function metric(registry: { getMetricsAsJSON(): Promise<Array<{ name: string; values: unknown }>> }, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as Array<{ value: number; labels: Record<string, string> }> | undefined)?.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

async function login(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.fill('#token', token);
  await page.click('#login-button');
  await page.waitForSelector('#live[data-state="on"]', { timeout: STEP });
}

/** A digest of what the player's canvas shows now. */
const canvasDigest = (page: Page): Promise<string> =>
  page.$eval('#live-canvas', (c) => (c as unknown as { toDataURL(): string }).toDataURL()).then((u) => createHash('sha256').update(u).digest('hex'));

const frames = (page: Page): Promise<number> => page.$eval('#live-canvas', (c) => Number((c as unknown as { dataset: Record<string, string> }).dataset.frames));

t.test('live camera view: RTSP camera → gateway (outbound link) → router relay → Chromium', async (t) => {
  const camera = await startRtspCamera(t, { video });
  const kafka = await testKafka(t, { label: 'live' });
  const config = parseConfig(LiveConfig, {
    signingKeyEnv: 'UNUSED',
    ticketWait: '1s',
    gateways: [{ id: 'box-1', tokenSha256: sha256Hex(GATEWAY_TOKEN) }],
    cameras: [
      { id: 'cam-03', gateway: 'box-1', name: '学院路口 Xueyuan Rd', zones: { P1: 'dept-a' } },
      { id: 'cam-07', gateway: 'box-1', zones: { S17: 'dept-b' } },
    ],
  });
  let live: LiveDeps | undefined;
  const h = await harness(t, kafka, {}, {
    scoped: ({ pool, clock, registry }) => {
      live = { config, hub: new LiveHub(config, { log: kafka.log, registry }), tickets: new LiveTickets(randomBytes(32).toString('hex'), 60_000, { pool, clock }), pool, log: kafka.log };
      return [liveApiRoutes(live)];
    },
    extend: (app) => registerLive(app, live, kafka.log),
  });
  h.clock.set(new Date());
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const wsBase = base.replace(/^http/, 'ws');
  const hub = (live as LiveDeps).hub;

  // A box without the right token gets no socket.
  const refused = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/live/gateway`, LIVE_SUBPROTOCOL, { headers: { authorization: 'Bearer not-the-gateway-token-0123', 'x-streetwatch-gateway': 'box-1' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('a wrong gateway token was let in')));
    ws.on('error', () => undefined);
  });
  t.equal(refused, 401, 'a wrong gateway token is refused before the upgrade');

  // The real gateway side: its live link and transcodes.
  const edgeRegistry = new Registry();
  const edgeCfg: EdgeLiveConfig = { ...(Value.Default(LiveConfigSchema, { routerUrl: `${wsBase}/live/gateway` }) as EdgeLiveConfig), token: GATEWAY_TOKEN, width: 320, idleStopMs: 1500 };
  const input = () => ({ kind: 'rtsp' as const, url: camera.url('sub'), ioTimeoutMs: 10_000 });
  const uplink = new LiveUplink(edgeCfg, 'box-1', new Map([['cam-03', input], ['cam-07', input]]), { log: kafka.log, registry: edgeRegistry });
  uplink.start();
  t.teardown(() => uplink.close());
  await waitFor('the box online at the router', () => hub.status('cam-03')?.online, { timeoutMs: STEP });
  t.equal(uplink.streams.active, 0, 'nothing is transcoded while nobody watches');

  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-live-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 860 },
    locale: 'zh-CN',
  });
  t.teardown(async () => {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const pageErrors: string[] = [];
  const socketUrls: string[] = [];
  const page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('websocket', (ws) => socketUrls.push(ws.url()));
  // A work order of dept-a on cam-03: its card has the Live button.
  const order = await h.wo.dispatch(alertFor({}, { zoneId: 'P1', cameraIds: ['cam-03'] }), 'dept-a');
  await login(page, base, TOKENS.aHead);
  const listed = await h.app.inject({ method: 'GET', url: '/api/live/cameras', headers: auth(TOKENS.aHead) });
  t.same(listed.json(), { cameras: [{ id: 'cam-03', name: '学院路口 Xueyuan Rd', online: true, streaming: false, viewers: 0 }] }, 'dept-a may watch cam-03 only');

  const button = `article.wo[data-id="${order.workOrderId}"] button[data-action="live"][data-camera="cam-03"]`;
  await page.click(button, { timeout: STEP });
  await page.waitForSelector('#live-dialog[data-state="playing"]', { timeout: STEP });
  await waitFor('frames decoded on the canvas', async () => (await frames(page)) >= 5, { timeoutMs: STEP });
  const d1 = await canvasDigest(page);
  const f1 = await frames(page);
  await waitFor('more frames', async () => (await frames(page)) >= f1 + 10, { timeoutMs: STEP });
  const d2 = await canvasDigest(page);
  t.not(d1, d2, 'the picture changes (a walkway with people)');
  await page.screenshot({ path: join(tmpdir(), 'live-view.png') });
  t.equal(uplink.streams.active, 1);
  const pid = uplink.streams.stream('cam-03')?.pid;

  // A second viewer (the command centre): the same transcode, the same one stream up.
  const sup = await browser.newPage();
  sup.on('pageerror', (e) => pageErrors.push(String(e)));
  await login(sup, base, TOKENS.sup);
  // From the camera list in the header: the command centre sees every camera.
  await sup.click('#live-cameras', { timeout: STEP });
  await sup.waitForSelector('.live-row[data-camera="cam-07"]', { timeout: STEP });
  await sup.click('.live-row[data-camera="cam-03"] button[data-action="live"]', { timeout: STEP });
  await waitFor('frames for the second viewer', async () => (await frames(sup)) >= 3, { timeoutMs: STEP });
  t.equal(hub.status('cam-03')?.viewers, 2);
  t.equal(uplink.streams.stream('cam-03')?.pid, pid, 'two viewers, one ffmpeg');
  t.equal(uplink.streams.stream('cam-03')?.viewers, 2, 'the box knows how many watch');
  const up = await metric(h.registry, 'streetwatch_router_live_bytes_received_total', { camera: 'cam-03' });
  const down = await metric(h.registry, 'streetwatch_router_live_bytes_relayed_total', { camera: 'cam-03' });
  t.ok(up > 0 && down > up, `one stream up (${up} B), fanned out to the viewers (${down} B)`);

  t.ok(socketUrls.length > 0 && socketUrls.every((u) => /\/live\/ws\/cam-03$/.test(u)), `the player's WebSocket URL carries no ticket (access logs keep URLs): ${socketUrls.join(' ')}`);

  // The ticket travels as the first message. A ticket for cam-03 presented at cam-07 is refused;
  // so is a forged one, and a socket that presents none within live.ticketWait (1 s here), even
  // with the ticket in its URL (the old transport).
  // (page code as a string: the tests are type-checked without the DOM library)
  type Closed = { code: number; reason: string };
  const closes = (await page.evaluate(`(async () => {
    const token = sessionStorage.getItem('sw-token');
    const issue = async () => {
      const r = await fetch('/api/live/cameras/cam-03/ticket', { method: 'POST', headers: { authorization: 'Bearer ' + token } });
      return r.json();
    };
    const first = await issue();
    const ticket = first.ticket;
    const open = (path, message) => new Promise((resolve) => {
      const ws = new WebSocket('ws://' + location.host + path);
      if (message !== undefined) ws.onopen = () => ws.send(message);
      ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
    });
    const forgedTicket = ticket.slice(0, -1) + (ticket.endsWith('A') ? 'B' : 'A');
    const unsent = (await issue()).ticket;
    return {
      url: first.url,
      other: await open('/live/ws/cam-07', ticket),
      forged: await open('/live/ws/cam-03', forgedTicket),
      silent: await open('/live/ws/cam-03?ticket=' + encodeURIComponent(unsent)),
    };
  })()`)) as { url: string; other: Closed; forged: Closed; silent: Closed };
  t.equal(closes.url, '/live/ws/cam-03', 'the ticket response names the socket without the ticket');
  t.same(closes.other, { code: 4403, reason: 'SW_ROUTER_LIVE_TICKET_CAMERA' }, 'a ticket for another camera is refused');
  t.same(closes.forged, { code: 4401, reason: 'SW_ROUTER_LIVE_TICKET_INVALID' }, 'a forged ticket is refused');
  t.same(closes.silent, { code: 4401, reason: 'SW_ROUTER_LIVE_TICKET_INVALID' }, 'no ticket message within live.ticketWait: refused (a ticket in the URL counts for nothing)');
  const denied = await h.app.inject({ method: 'POST', url: '/api/live/cameras/cam-03/ticket', headers: auth(TOKENS.bStaff) });
  t.equal(denied.statusCode, 404, 'dept-b owns no zone on cam-03: no ticket');
  t.equal(denied.json().error.code, 'SW_ROUTER_LIVE_CAMERA_NOT_FOUND');

  // Every opening is audited, with the refusals.
  const views = (await h.pool.query<{ camera_id: string; user_id: string; result: string }>('SELECT camera_id, user_id, result FROM live_views ORDER BY id')).rows;
  t.match(views, [
    { camera_id: 'cam-03', user_id: 'wang.head', result: 'ok' },
    { camera_id: 'cam-03', user_id: 'zhou.sup', result: 'ok' },
    { camera_id: 'cam-07', user_id: 'wang.head', result: 'SW_ROUTER_LIVE_TICKET_CAMERA' },
  ]);
  const issued = (await h.pool.query("SELECT count(*)::int AS n FROM api_audit WHERE action = 'live_ticket' AND result = 'ok'")).rows[0] as { n: number };
  t.ok(issued.n >= 4, 'every ticket issued is in api_audit');
  t.equal(await metric(h.registry, 'streetwatch_router_live_opens_total', { result: 'SW_ROUTER_LIVE_TICKET_INVALID' }), 2, 'the forged ticket and the silent socket are counted');

  // Nobody watching: the box stops the transcode after its idle time.
  await page.click('#live-close');
  await sup.click('#live-close');
  await waitFor('the viewers gone', () => hub.status('cam-03')?.viewers === 0, { timeoutMs: STEP });
  await waitFor('the transcode stopped after the idle time', () => uplink.streams.active === 0, { timeoutMs: STEP });
  const closed = (await h.pool.query<{ bytes: string }>("SELECT bytes FROM live_views WHERE result = 'ok' AND closed_at IS NOT NULL")).rows;
  t.equal(closed.length, 2, 'both viewings closed in the audit');
  t.ok(closed.every((r) => Number(r.bytes) > 0), 'with the bytes each was sent');
  t.ok((await metric(edgeRegistry, 'streetwatch_edge_live_transcode_cpu_seconds_total', { camera: 'cam-03' })) > 0, 'the transcode’s CPU is counted on the box');
  t.same(pageErrors, [], 'no script errors on the pages');
});
