import { randomBytes } from 'node:crypto';
import t from 'tap';
import { parseConfig } from '@streetwatch/platform';
import { testDatabase, type TeardownHost } from '@streetwatch/platform/testing';
import { migrateRouter } from '../../src/pipeline.js';
import { LiveConfig } from '../../src/live/config.js';
import { mayWatch } from '../../src/live/routes.js';
import { LiveTickets, signTicketId, verifyTicket } from '../../src/live/tickets.js';
import { ManualClock } from '../../src/workorders/index.js';
import type { User } from '../../src/workorders/model.js';

const KEY = randomBytes(32).toString('hex');
const li: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };

/** One database for the file (migrations cost seconds); each test its own tickets, clock and cameras. */
let db: Promise<Awaited<ReturnType<typeof testDatabase>>['pool']> | undefined;
const file: TeardownHost = t; // the database lives as long as the file's root test
async function setup() {
  db ??= testDatabase(file).then(async ({ pool }) => {
    await migrateRouter(pool);
    return pool;
  });
  const pool = await db;
  const clock = new ManualClock('2026-11-26T06:10:00.000Z');
  return { pool, clock, tickets: new LiveTickets(KEY, 60_000, { pool, clock }) };
}

/** The view rows of the cameras named (each test uses its own camera ids). */
async function views(pool: Awaited<ReturnType<typeof setup>>['pool'], cameras: string[]) {
  return (await pool.query<{ camera_id: string; user_id: string | null; result: string; ip: string | null; closed: boolean }>(
    'SELECT camera_id, user_id, result, ip, closed_at IS NOT NULL AS closed FROM live_views WHERE camera_id = ANY($1) ORDER BY id',
    [cameras],
  )).rows;
}

t.test('a ticket opens its camera once; the opening is audited with who, where from and later how much', async (t) => {
  const { pool, tickets } = await setup();
  const issued = await tickets.issue(li, 'cam-03');
  t.match(issued.ticket, /^[0-9a-z]+\.[A-Za-z0-9_-]{16}$/);
  t.equal(issued.expiresAt, '2026-11-26T06:11:00.000Z', 'live.ticketTtl after issue');
  const r = await tickets.redeem({ token: issued.ticket, cameraId: 'cam-03', ip: '10.1.2.3', userAgent: 'Chromium' });
  t.equal(r.userId, 'li.staff');
  t.same(await views(pool, ['cam-03']), [{ camera_id: 'cam-03', user_id: 'li.staff', result: 'ok', ip: '10.1.2.3', closed: false }]);
  await tickets.closed(r.viewId, 12345);
  t.same((await pool.query('SELECT bytes::int AS bytes FROM live_views WHERE id = $1', [r.viewId.toString()])).rows, [{ bytes: 12345 }]);
  await t.rejects(tickets.redeem({ token: issued.ticket, cameraId: 'cam-03' }), { code: 'SW_ROUTER_LIVE_TICKET_USED' }, 'a second opening with the same ticket');
  t.equal((await views(pool, ['cam-03']))[1]?.result, 'SW_ROUTER_LIVE_TICKET_USED', 'the refused reuse is audited too');
});

t.test('a ticket for another camera is refused, and stays good for its own camera', async (t) => {
  const { pool, tickets } = await setup();
  const issued = await tickets.issue(li, 'cam-13');
  await t.rejects(tickets.redeem({ token: issued.ticket, cameraId: 'cam-17' }), { code: 'SW_ROUTER_LIVE_TICKET_CAMERA' });
  t.match(await views(pool, ['cam-13', 'cam-17']), [{ camera_id: 'cam-17', user_id: 'li.staff', result: 'SW_ROUTER_LIVE_TICKET_CAMERA', closed: true }]);
  t.equal((await tickets.redeem({ token: issued.ticket, cameraId: 'cam-13' })).userId, 'li.staff');
});

t.test('an expired ticket is refused', async (t) => {
  const { tickets, clock } = await setup();
  const issued = await tickets.issue(li, 'cam-23');
  clock.advance(60_001);
  await t.rejects(tickets.redeem({ token: issued.ticket, cameraId: 'cam-23' }), { code: 'SW_ROUTER_LIVE_TICKET_EXPIRED' });
});

t.test('forged, malformed and foreign-key tickets are refused and leave no view row', async (t) => {
  const { pool, tickets } = await setup();
  const issued = await tickets.issue(li, 'cam-33');
  const [id, sig] = issued.ticket.split('.') as [string, string];
  const flipped = `${id}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
  const next = `${(parseInt(id, 36) + 1).toString(36)}.${sig}`; // walking the ids
  const otherKey = signTicketId(Buffer.from(randomBytes(32).toString('hex')), BigInt(parseInt(id, 36)));
  for (const token of [flipped, next, otherKey, '', 'x', `${issued.ticket}x`, '../../etc']) {
    await t.rejects(tickets.redeem({ token, cameraId: 'cam-33' }), { code: 'SW_ROUTER_LIVE_TICKET_INVALID' }, JSON.stringify(token));
  }
  t.same(await views(pool, ['cam-33']), []);
  t.equal(verifyTicket(Buffer.from(KEY), issued.ticket), BigInt(parseInt(id, 36)));
});

t.test('who may watch: a department owning a zone on the camera, supervisors any camera, only configured roles', async (t) => {
  const cfg = parseConfig(LiveConfig, {
    signingKeyEnv: 'X',
    roles: ['head', 'supervisor'],
    gateways: [{ id: 'box-1', tokenSha256: 'a'.repeat(64) }],
    cameras: [{ id: 'cam-03', gateway: 'box-1', zones: { P1: 'dept-a', S2: 'dept-c' } }],
  });
  const cam = cfg.cameras[0]!;
  t.ok(mayWatch(cfg, { ...li, role: 'head' }, cam), 'a head of dept-a (owns P1)');
  t.ok(mayWatch(cfg, { ...li, departmentId: 'dept-c', role: 'head' }, cam), 'a head of dept-c (owns S2)');
  t.notOk(mayWatch(cfg, { ...li, departmentId: 'dept-b', role: 'head' }, cam), 'dept-b owns no zone on it');
  t.ok(mayWatch(cfg, { ...li, departmentId: 'command', role: 'supervisor' }, cam), 'the command centre');
  t.notOk(mayWatch(cfg, li, cam), 'staff is not in live.roles here');
});
