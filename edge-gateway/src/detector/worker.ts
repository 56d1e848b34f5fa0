/**
 * The detector thread (worker_threads entry, started by WorkerDetector): builds the configured
 * detector (`type`, in-process) from `workerData`, loads it, then answers one `detect` message at
 * a time. Frames arrive as views on shared memory (the sampler's ring slots): nothing is copied
 * on the way in; the caller keeps the slot untouched until the answer arrives.
 *
 * Protocol (main -> thread): { type: 'detect', id, frame: WireFrame }
 *           (thread -> main): { type: 'ready', backend } | { type: 'load-failed', error }
 *                             | { type: 'result', id, detections, ms } | { type: 'error', id, error }
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Frame } from '../frame.js';
import { createInProcessDetector } from './create.js';
import type { BackendInfo } from './backend.js';
import { toWire, type FromWorker, type ToWorker, type WorkerInit } from './wire.js';

const port = parentPort;
if (port === null) throw new Error('detector/worker.ts runs as a worker thread (started by WorkerDetector)');
const { config } = workerData as WorkerInit;
const detector = createInProcessDetector({ ...config, workers: 0 });
const send = (m: FromWorker): void => port.postMessage(m);

try {
  await detector.load();
  send({ type: 'ready', backend: (detector as { backend?: BackendInfo }).backend });
} catch (err) {
  send({ type: 'load-failed', error: toWire(err) });
}

port.on('message', (m: ToWorker) => {
  void (async () => {
    const f = m.frame;
    const frame: Frame = {
      cameraId: f.cameraId,
      seq: f.seq,
      width: f.width,
      height: f.height,
      eventTime: new Date(f.eventTimeMs),
      data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength),
    };
    const t0 = performance.now();
    try {
      const detections = await detector.detect(frame);
      send({ type: 'result', id: m.id, detections, ms: performance.now() - t0 });
    } catch (err) {
      send({ type: 'error', id: m.id, error: toWire(err) });
    }
  })();
});
