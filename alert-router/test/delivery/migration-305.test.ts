/**
 * Migration 305 moved a notification's content off the delivery rows (router_notifications). Rows an
 * older router left waiting keep their message, without the `ref:` line it carried (the engine adds
 * the line when it sends), and are delivered as before: once, with their own key.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { migrate } from '@streetwatch/platform';
import { exampleAlert } from '@streetwatch/schemas';
import { MIGRATIONS_DIR } from '../../src/pipeline.js';
import { ManualClock } from '@streetwatch/platform';
import { harness, RecordingChannel, states } from './harness.js';

const T0 = Date.parse('2026-11-26T08:00:00.000Z');

t.test('a delivery written before migration 305 is sent once, with its message and one ref line', async (t) => {
  const before = mkdtempSync(join(tmpdir(), 'sw-migrations-'));
  t.teardown(() => rmSync(before, { recursive: true, force: true }));
  for (const f of readdirSync(MIGRATIONS_DIR)) if (/^(\d+)_/.exec(f) && Number(f.slice(0, 3)) < 305) copyFileSync(join(MIGRATIONS_DIR, f), join(before, f));
  const alert = exampleAlert({ alertId: 'al-old' });
  const oldMessage = {
    departmentId: 'cg',
    departmentName: 'CG',
    target: 'department',
    items: [{ alert }],
    phones: [],
    title: 'old title',
    markdown: '### old title\n\n- item\n\nref: dk-0123abcd',
    text: 'old text',
  };
  const rec = new RecordingChannel('rec');
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['rec'] } },
      channels: { rec: { type: 'webhook', url: 'http://127.0.0.1:9/unused', signSecretEnv: 'S' } },
      routing: { route: { departments: ['cg'] } },
    },
    {
      channels: new Map([['rec', rec]]),
      env: { S: 'x' },
      clock: new ManualClock(T0),
      beforeMigrate: async (pool) => {
        await migrate(pool, before, { component: 'alert-router' });
        await pool.query(
          `INSERT INTO router_deliveries (idempotency_key, delivery_id, alert_id, alert_ids, department_id, channel_name, channel_type,
             target, message, state, attempts, next_attempt_at, created_at, updated_at)
           VALUES ('dk-0123abcd', 'dk-0123abcd', 'al-old', ARRAY['al-old'], 'cg', 'rec', 'webhook', 'department', $1, 'retrying', 1, $2, $2, $2)`,
          [oldMessage, new Date(T0 - 60_000)],
        );
      },
    },
  );
  const n = await h.pool.query<{ notification_key: string; message: { markdown: string; title: string } }>(
    'SELECT d.notification_key, n.message FROM router_deliveries d JOIN router_notifications n USING (notification_key)',
  );
  t.equal(n.rows.length, 1);
  t.equal(n.rows[0]?.notification_key, 'dk-0123abcd', 'the old row is its own notification');
  t.equal(n.rows[0]?.message.markdown, '### old title\n\n- item', 'its ref line is gone from the stored text');
  await h.pipeline.tick();
  t.equal(rec.sent.length, 1, 'sent once');
  t.equal(rec.sent[0]?.key, 'dk-0123abcd');
  t.equal(rec.sent[0]?.msg.markdown, '### old title\n\n- item\n\nref: dk-0123abcd', 'with one ref line, its own key');
  t.same(rec.alertIds(), [['al-old']]);
  t.same(await states(h.pool), { sent: 1 });
});
