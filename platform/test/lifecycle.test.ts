import t from 'tap';
import { Lifecycle, createLogger } from '../src/index.js';

t.test('shutdown closes in reverse start order and a hanging close cannot block it', async (t) => {
  const order: string[] = [];
  const lc = new Lifecycle(createLogger({ name: 't', level: 'silent' }));
  lc.add('kafka', () => void order.push('kafka'));
  lc.add('hangs', () => new Promise<void>(() => undefined));
  lc.add('http', async () => void order.push('http'));
  const started = Date.now();
  const failures = await lc.close(500);
  t.same(order, ['http', 'kafka'], 'reverse order, the rest still closed');
  t.equal(failures.length, 1);
  t.match(failures[0], { name: 'hangs', error: { code: 'SW_SHUTDOWN_TIMEOUT' } });
  t.ok(Date.now() - started < 5000, 'bounded by the grace time');
  t.equal(await lc.close(500), failures, 'idempotent: the second call returns the same result');
});
