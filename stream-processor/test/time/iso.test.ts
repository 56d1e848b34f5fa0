import t from 'tap';
import { parseTime } from '../../src/time/iso.js';

t.test('event times parse to exactly what Date.parse gives, on the fast shape and off it', async (t) => {
  const cases = [
    '2026-11-26T00:00:00.000Z',
    '2024-02-29T23:59:59.999Z', // leap day
    '1970-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z', // before the epoch
    '1600-02-29T12:00:00.000Z', // a 400-year leap day
    '0100-03-01T00:00:00.000Z',
    '0099-01-01T00:00:00.000Z', // Date.UTC would read this as 1999
    '9999-12-31T23:59:59.999Z',
    '2026-11-26T00:00:00Z', // no fraction
    '2026-11-26T00:00:00.5Z', // short fraction
    '2026-11-26T01:00:00.000+01:00', // offset
    '2026-11-26t00:00:00.000z', // lower case
  ];
  for (const s of cases) t.equal(parseTime(s), Date.parse(s), s);
  for (const s of ['2023-02-29T10:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-11-26T24:00:00.000Z', '2026-11-2xT00:00:00.000Z']) {
    t.equal(String(parseTime(s)), String(Date.parse(s)), `${s} (invalid) agrees too`);
  }
});

t.test('every millisecond shape Date.toISOString writes round-trips', async (t) => {
  for (let ms = -5e12; ms < 5e12; ms += 7_654_321_987) {
    const s = new Date(ms).toISOString();
    if (parseTime(s) !== ms) t.fail(`${s} → ${parseTime(s)}, expected ${ms}`);
  }
  t.pass('all round-trip');
});
