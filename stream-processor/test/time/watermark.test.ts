import t from 'tap';
import { combinedWatermark, PartitionClock } from '../../src/time/watermark.js';
import { ManualClock } from '../../src/time/clock.js';
import { Punctuator } from '../../src/time/punctuator.js';
import { createLogger } from '@streetwatch/platform';

t.test('the watermark trails the largest event time by the out-of-orderness and never goes back', async (t) => {
  const c = new PartitionClock(5000, 30_000, 0);
  t.equal(c.watermark, -Infinity);
  c.observe(100_000, 1);
  t.equal(c.watermark, 95_000);
  c.observe(90_000, 2);
  t.equal(c.watermark, 95_000, 'an older event does not move it back');
  const restored = new PartitionClock(5000, 30_000, 50, c.snapshot());
  t.equal(restored.watermark, 95_000, 'survives a snapshot');
});

t.test('a partition quiet past the idle timeout moves on with the wall clock', async (t) => {
  const c = new PartitionClock(5000, 30_000, 0);
  c.observe(100_000, 1000);
  t.notOk(c.punctuate(30_999), 'not idle yet');
  t.ok(c.punctuate(31_000));
  t.equal(c.watermark, 100_000 - 5000 + 30_000);
  t.ok(c.isIdle);
  c.observe(101_000, 40_000);
  t.notOk(c.isIdle, 'a message makes it active again');
  t.equal(c.watermark, 125_000, 'but the watermark does not go back');
});

t.test('the combined watermark follows the slowest active input and ignores idle ones', async (t) => {
  const a = new PartitionClock(0, 1000, 0);
  const b = new PartitionClock(0, 1000, 0);
  a.observe(50, 0);
  t.equal(combinedWatermark([a, b]), 50, 'b never saw an event');
  b.observe(20, 0);
  t.equal(combinedWatermark([a, b]), 20);
  a.punctuate(5000);
  b.punctuate(5000);
  t.equal(combinedWatermark([a, b]), 50 + 5000, 'all idle: the most advanced');
});

t.test('the punctuator ticks on the injected clock and never overlaps ticks', async (t) => {
  const clock = new ManualClock(0);
  let ticks = 0;
  let release: () => void = () => undefined;
  const p = new Punctuator(1000, {
    clock,
    log: createLogger({ name: 't', level: 'silent' }),
    tick: () => {
      ticks++;
      return new Promise<void>((r) => (release = r));
    },
  });
  p.start();
  clock.advance(999);
  t.equal(ticks, 0);
  clock.advance(1);
  t.equal(ticks, 1);
  clock.advance(5000);
  t.equal(ticks, 1, 'a slow tick is not overlapped');
  release();
  await new Promise((r) => setImmediate(r));
  clock.advance(1000);
  t.equal(ticks, 2);
  release();
  await p.close();
});
