/**
 * An engine worker thread (see workers.ts): hosts the engines of the tasks given to it, decodes
 * and validates their batches and runs their rules. Requests are handled one at a time, in the
 * order they arrive; every request gets exactly one reply with its id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseProcessorConfig } from '../config/load.js';
import { LocalEngines, punctuateEngine } from './host.js';
import { stepEngine } from './step.js';
import type { EngineReply, EngineRequest, EngineWorkerData } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('engine worker: not started as a worker thread');
const init = workerData as EngineWorkerData;
const config = parseProcessorConfig(init.raw, init.source);
const engines = new LocalEngines(config.rules, init.time);

function handle(req: EngineRequest): unknown {
  if (req.op === 'rules') {
    engines.setRulesSync(parseProcessorConfig(req.raw, req.source).rules);
    return null;
  }
  if (req.op === 'open') {
    engines.create(req.engine, req.task, req.wallNow, req.snapshot);
    return null;
  }
  if (req.op === 'drop') {
    engines.delete(req.engine);
    return null;
  }
  if (req.op === 'crash') {
    // Tests: an uncaught error on the worker thread (the pool restarts it).
    setImmediate(() => {
      throw new Error('engine worker: crash requested');
    });
    return null;
  }
  const engine = engines.get(req.engine);
  if (!engine) {
    const e = new Error(`engine ${req.engine} is not on this worker (it was restarted or the engine dropped)`);
    (e as Error & { code: string }).code = 'SW_PROC_ENGINE_LOST';
    throw e;
  }
  if (req.op === 'step') return stepEngine(engine, req.role, req.batch, req.wallNow, req.rows);
  if (req.op === 'punctuate') return punctuateEngine(engine, req.wallNow, req.touched);
  return engine.snapshot();
}

port.on('message', (req: EngineRequest) => {
  let reply: EngineReply;
  try {
    reply = { id: req.id, ok: true, result: handle(req) };
  } catch (err) {
    const e = err as Error & { code?: string };
    reply = { id: req.id, ok: false, error: { code: e.code ?? 'SW_PROC_ENGINE_FAILED', message: e.message, stack: e.stack ?? '' } };
  }
  port.postMessage(reply);
});
