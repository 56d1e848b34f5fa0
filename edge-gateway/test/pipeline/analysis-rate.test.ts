/** The per-camera detector share over a sliding window (what /status and the overload alert show). */
import t from 'tap';
import { AnalysisWindow } from '../../src/pipeline/analysis-rate.js';

t.test('a camera whose every wanted frame ran has ratio 1 at its rate', async (t) => {
  const w = new AnalysisWindow(60_000);
  for (let s = 0; s < 120; s++) w.record(s * 500, true); // 2 fps for a minute
  t.match(w.rate(59_500), { ratio: 1, analysedFps: 2, wantedFps: 2 });
});

t.test('half the frames dropped: ratio 0.5, analysed fps half the wanted', async (t) => {
  const w = new AnalysisWindow(60_000);
  for (let s = 0; s < 120; s++) w.record(s * 500, s % 2 === 0);
  t.match(w.rate(59_500), { ratio: 0.5, analysedFps: 1, wantedFps: 2 });
});

t.test('the window forgets: recovered after a minute of keeping up', async (t) => {
  const w = new AnalysisWindow(60_000);
  for (let s = 0; s < 60; s++) w.record(s * 1000, false);
  t.equal(w.rate(59_000).ratio, 0);
  for (let s = 60; s < 121; s++) w.record(s * 1000, true);
  t.equal(w.rate(120_000).ratio, 1);
});

t.test('nothing wanted (the motion gate skipped every frame) is not overload', async (t) => {
  t.match(new AnalysisWindow().rate(10_000), { ratio: 1, analysedFps: 0, wantedFps: 0 });
});
