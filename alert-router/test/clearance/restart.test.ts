/**
 * The router as a child process on the real broker and PostgreSQL: a violation's end is consumed
 * while no work order exists yet, the router is killed (SIGKILL, nothing flushed from memory) and
 * started again, then the alert for that violation arrives: its work order shows "cleared at".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { testDatabase, testKafka, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, departmentTopic, exampleAlert, exampleDetection } from '@streetwatch/schemas';
import { routerProcess } from '../support/router-process.js';


t.test('an end consumed before its alert survives a router kill -9: the work order created after the restart shows "cleared at"', async (t) => {
  const k = await testKafka(t, { label: 'clr-restart', extra: [departmentTopic('cg-1')] });
  const db = await testDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'router-clearance-restart-'));
  const { start, kill } = routerProcess(t, {
    dir,
    config: {
      instanceId: 'router-clearance-restart',
      consumer: { groupId: `router-${k.prefix}` },
      http: { port: 0 },
      departments: { 'cg-1': { name: '城管执法一中队', channels: ['queue'] } },
      channels: { queue: { type: 'kafka-dept' } },
      routing: { route: { departments: ['cg-1'] } },
      delivery: { poll: '100ms' },
      workOrders: { uploads: { dir: join(dir, 'photos') } },
    },
    env: { PGDATABASE: db.settings.database, STREETWATCH_TOPIC_PREFIX: k.prefix, STREETWATCH_LOG_LEVEL: 'info' },
  });

  const violationId = `vio-${uniqueId()}`;
  start();
  await k.producer.send(TOPICS.detections, [
    exampleDetection({ eventId: uniqueId('evt'), violationId, phase: 'end', eventTime: '2026-11-26T06:15:40.000Z', endReason: 'left' }),
  ]);
  await waitFor(
    'the end kept in PostgreSQL',
    async () => (await db.pool.query('SELECT 1 FROM violation_ends WHERE violation_id = $1', [violationId]).catch(() => ({ rowCount: 0 }))).rowCount,
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  await kill();

  start();
  const alert = exampleAlert({ alertId: `al-${uniqueId()}`, violationIds: [violationId], createdAt: new Date().toISOString() });
  await k.producer.send(TOPICS.alerts, [alert]);
  const wo = await waitFor(
    'the work order',
    async () => (await db.pool.query<{ cleared_at: Date | null; id: string }>('SELECT id, cleared_at FROM work_orders WHERE alert_id = $1', [alert.alertId])).rows[0],
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  t.equal(wo.cleared_at?.toISOString(), '2026-11-26T06:15:40.000Z', 'created with the end it was waiting for');
  const history = await db.pool.query<{ action: string; note: string | null }>('SELECT action, note FROM work_order_history WHERE work_order_id = $1 ORDER BY seq', [wo.id]);
  t.same(history.rows.map((r) => r.action), ['dispatched', 'violation_cleared']);
  t.match(history.rows[1]?.note, /^cleared at 14:15:40/);
  await kill();
});
