/** The one schedule vocabulary (`days`, `from`, `to`) of the edge's zones, the processor's rules and the router's timeOfDay. */
import t from 'tap';
import { inWindows, localTime, validateWindows, type TimeWindow } from '../src/index.js';

const TZ = 'Asia/Shanghai'; // UTC+8, no DST
/** A Shanghai local time as a Date. 2024-05-06 is a Monday. */
const sh = (day: number, hh: number, mm = 0): Date => new Date(Date.UTC(2024, 4, day, hh - 8, mm));

t.test('local weekday and minute come from the zone, not UTC', async (t) => {
  t.same(localTime(sh(6, 1, 30), TZ), { day: 1, minute: 90 }, 'Monday 01:30 in Shanghai is Sunday 17:30 UTC');
  t.same(localTime(sh(6, 0, 0), TZ), { day: 1, minute: 0 });
});

t.test('a daytime window applies on its days between start and end', async (t) => {
  const business: TimeWindow[] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '22:00' }];
  t.equal(inWindows(sh(6, 7, 59), business, TZ), false, 'Mon 07:59');
  t.equal(inWindows(sh(6, 8, 0), business, TZ), true, 'Mon 08:00 (start inclusive)');
  t.equal(inWindows(sh(6, 21, 59), business, TZ), true, 'Mon 21:59');
  t.equal(inWindows(sh(6, 22, 0), business, TZ), false, 'Mon 22:00 (end exclusive)');
  t.equal(inWindows(sh(11, 12, 0), business, TZ), false, 'Saturday');
});

t.test('a window crossing midnight belongs to the day it starts on', async (t) => {
  const night: TimeWindow[] = [{ days: ['fri'], from: '22:00', to: '06:00' }];
  t.equal(inWindows(sh(10, 21, 59), night, TZ), false, 'Fri 21:59');
  t.equal(inWindows(sh(10, 22, 0), night, TZ), true, 'Fri 22:00');
  t.equal(inWindows(sh(10, 23, 59), night, TZ), true, 'Fri 23:59');
  t.equal(inWindows(sh(11, 0, 0), night, TZ), true, 'Sat 00:00');
  t.equal(inWindows(sh(11, 5, 59), night, TZ), true, 'Sat 05:59');
  t.equal(inWindows(sh(11, 6, 0), night, TZ), false, 'Sat 06:00');
  t.equal(inWindows(sh(9, 23, 0), night, TZ), false, 'Thu 23:00: not a listed start day');
  t.equal(inWindows(sh(10, 3, 0), night, TZ), false, 'Fri 03:00: the Thursday night is not listed');
});

t.test('a window whose to equals its from is a whole day from that time, into the next', async (t) => {
  const day: TimeWindow[] = [{ days: ['mon'], from: '07:00', to: '07:00' }];
  t.equal(inWindows(sh(6, 7, 0), day, TZ), true, 'Mon 07:00');
  t.equal(inWindows(sh(7, 6, 59), day, TZ), true, 'Tue 06:59');
  t.equal(inWindows(sh(7, 7, 0), day, TZ), false, 'Tue 07:00');
  t.equal(inWindows(sh(6, 6, 59), day, TZ), false, 'Mon 06:59: the Sunday is not listed');
});

t.test('24:00 ends at midnight and an empty list is never', async (t) => {
  const evening: TimeWindow[] = [{ days: ['mon'], from: '18:00', to: '24:00' }];
  t.equal(inWindows(sh(6, 23, 59), evening, TZ), true);
  t.equal(inWindows(sh(7, 0, 0), evening, TZ), false);
  t.equal(inWindows(sh(6, 12, 0), [], TZ), false);
});

t.test('the same instant is judged in each zone own time zone', async (t) => {
  const morning: TimeWindow[] = [{ days: ['mon'], from: '08:00', to: '09:00' }];
  const instant = sh(6, 8, 30); // 00:30 UTC
  t.equal(inWindows(instant, morning, TZ), true);
  t.equal(inWindows(instant, morning, 'UTC'), false);
});

t.test('malformed times and unknown zones are rejected', async (t) => {
  t.throws(() => validateWindows([{ days: ['mon'], from: '25:00', to: '06:00' }], TZ), RangeError);
  t.throws(() => validateWindows([{ days: ['mon'], from: '24:30', to: '06:00' }], TZ), RangeError);
  t.throws(() => validateWindows([], 'Mars/Olympus_Mons'), RangeError);
  t.doesNotThrow(() => validateWindows([{ days: ['mon'], from: '00:00', to: '24:00' }], TZ));
});
