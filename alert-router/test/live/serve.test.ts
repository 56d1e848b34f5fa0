/**
 * live.serve in the production layout, as real processes (src/main.ts) on the real broker and
 * PostgreSQL: two routers on one config and one consumer group, as k8s runs them: router-live
 * (STREETWATCH_LIVE_SERVE=only) and an alert-router replica (`no`). Only the replica joins the
 * consumer group (the alerts are consumed by the replicas alone: each once); only router-live takes
 * the box's link (its token hash read from a Secret variable) and answers /api/live.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { testDatabase, testKafka, waitFor } from '@streetwatch/platform/testing';
import { LIVE_SUBPROTOCOL } from '@streetwatch/schemas';
import { sha256Hex } from '../../src/api/auth.js';
import { routerProcess } from '../support/router-process.js';

const STEP = 60_000;

t.test('live.serve: router-live (only) holds the box link and answers /api/live without joining the consumer group; a replica (no) consumes and refuses the live view', async (t) => {
  const k = await testKafka(t, { label: 'live-serve' });
  const db = await testDatabase(t);
  const gatewayToken = randomBytes(24).toString('base64url');
  const userToken = randomBytes(24).toString('base64url');
  const groupId = `router-${k.prefix}`;
  const start = (serve: 'only' | 'no') => {
    const dir = mkdtempSync(join(tmpdir(), `router-live-${serve}-`));
    const p = routerProcess(t, {
      dir,
      dist: true, // as deployed, and quick to start (needs the build: npx tsc -b)
      config: {
        instanceId: `router-${serve}`,
        consumer: { groupId },
        http: { port: 0 },
        departments: { 'cg-1': { name: '城管执法一中队', channels: ['console'] } },
        channels: { console: { type: 'console' } },
        routing: { route: { departments: ['cg-1'] } },
        workOrders: {
          uploads: { dir: join(dir, 'photos') },
          users: [{ id: 'cg-head', departmentId: 'cg-1', role: 'head', tokenEnv: 'SW_TEST_USER_TOKEN' }],
        },
        clearance: { enabled: false },
        live: {
          signingKeyEnv: 'SW_TEST_LIVE_KEY',
          gateways: [{ id: 'box-1', tokenSha256Env: 'SW_TEST_BOX_1_SHA256' }],
          cameras: [{ id: 'cam-03', gateway: 'box-1', zones: { P1: 'cg-1' } }],
        },
      },
      env: {
        PGDATABASE: db.settings.database,
        STREETWATCH_TOPIC_PREFIX: k.prefix,
        STREETWATCH_LOG_LEVEL: 'info',
        STREETWATCH_LIVE_SERVE: serve,
        SW_TEST_USER_TOKEN: userToken,
        SW_TEST_LIVE_KEY: randomBytes(32).toString('hex'),
        SW_TEST_BOX_1_SHA256: sha256Hex(gatewayToken),
      },
    });
    p.start();
    return {
      /** http://127.0.0.1:<port> once the router says it started (its log). */
      base: () =>
        waitFor(`router (${serve}) started`, () => {
          const log = readFileSync(join(dir, 'router.log'), 'utf8');
          const line = log.split('\n').find((l) => l.includes('"alert router started"'));
          const port = line ? (JSON.parse(line) as { http?: { port?: number } }).http?.port : undefined;
          return port ? `http://127.0.0.1:${port}` : undefined;
        }, { timeoutMs: STEP, intervalMs: 200 }),
    };
  };
  const liveOnly = start('only');
  const replica = start('no');
  const [liveBase, replicaBase] = await Promise.all([liveOnly.base(), replica.base()]);
  const get = (base: string, path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${userToken}` }, signal: AbortSignal.timeout(10_000) });

  for (const base of [liveBase, replicaBase]) t.equal((await fetch(`${base}/readyz`)).status, 200, `${base === liveBase ? 'router-live' : 'the replica'} is ready`);

  // The box links to router-live with its token (the router holds only its sha256, from a Secret variable).
  const box = new WebSocket(`${liveBase.replace(/^http/, 'ws')}/live/gateway`, LIVE_SUBPROTOCOL, { headers: { authorization: `Bearer ${gatewayToken}`, 'x-streetwatch-gateway': 'box-1' } });
  t.teardown(() => box.terminate());
  box.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    box.once('open', () => resolve());
    box.once('unexpected-response', (_req, res) => reject(new Error(`router-live refused the box: ${res.statusCode}`)));
  });
  box.send(JSON.stringify({ type: 'hello', gatewayId: 'box-1', cameras: ['cam-03'], maxStreams: 2 }));
  const cameras = await waitFor('cam-03 online at router-live', async () => {
    const r = (await (await get(liveBase, '/api/live/cameras')).json()) as { cameras: Array<{ id: string; online: boolean }> };
    return r.cameras[0]?.online ? r.cameras : undefined;
  }, { timeoutMs: STEP });
  t.match(cameras, [{ id: 'cam-03', online: true }], 'router-live lists the camera online');

  // The replica leaves the live view to router-live: no camera list, no box link.
  const refused = await get(replicaBase, '/api/live/cameras');
  t.equal(refused.status, 503);
  t.equal(((await refused.json()) as { error: { code: string } }).error.code, 'SW_ROUTER_LIVE_DISABLED');
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${replicaBase.replace(/^http/, 'ws')}/live/gateway`, LIVE_SUBPROTOCOL, { headers: { authorization: `Bearer ${gatewayToken}`, 'x-streetwatch-gateway': 'box-1' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => undefined);
  });
  t.equal(status, 401, 'a box reaching a replica gets no link');

  // Only the replica is a member of the consumer group: router-live consumes nothing.
  const members = await waitFor('the replica in the consumer group', async () => {
    const g = (await k.admin.describeGroups([groupId])).groups[0];
    return g?.state === 'Stable' ? g.members : undefined;
  }, { timeoutMs: STEP, intervalMs: 250 });
  t.same(members.map((m) => m.clientId), ['router-no'], 'one member: the replica');
});
