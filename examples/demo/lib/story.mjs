// The demo's narrator: reads the run's Kafka topics (edge → processor → router), checks each work
// order through the REST API with the demo token and its evidence picture through a signed link,
// and prints the chains as they happen: one story per violation type (the four cameras). Fails,
// naming the stage that did not deliver in time, the types still missing there (and the log to
// read), when the budget runs out or a service process exits.
//
//   node story.mjs --prefix demo-<run>. --cameras cam-01,cam-02 --types illegal_parking,dumping \
//     --department demo-chengguan --router-url http://127.0.0.1:8090 --token <t> --timeout 180 \
//     --pid-dir D --log-dir D --webhook-log F [--prometheus-url U] [--follow] [--t0 <epoch ms>] \
//     [--done-file F]
//
// Exit 0: the story is complete (without --follow), or stopped by SIGTERM/SIGINT (--follow).
// Exit 1: a stage did not deliver (message names it). Exit 2: usage.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { decodeContract, stackSettings } from '@streetwatch/platform';
import { TOPICS, departmentTopic, topicName } from '@streetwatch/schemas';

const { values: o } = parseArgs({
  options: {
    prefix: { type: 'string' },
    cameras: { type: 'string', default: 'cam-01,cam-02,cam-03,cam-04' },
    types: { type: 'string', default: 'illegal_parking,dumping,shopfront_spillover,street_vendor' },
    'prometheus-url': { type: 'string' },
    department: { type: 'string', default: 'demo-chengguan' },
    'router-url': { type: 'string' },
    token: { type: 'string' },
    timeout: { type: 'string', default: '180' },
    'pid-dir': { type: 'string' },
    'log-dir': { type: 'string' },
    'webhook-log': { type: 'string' },
    follow: { type: 'boolean', default: false },
    t0: { type: 'string' },
    tz: { type: 'string', default: 'Asia/Shanghai' },
    'done-file': { type: 'string' },
  },
});
for (const k of ['prefix', 'router-url', 'token', 'pid-dir', 'log-dir', 'webhook-log']) {
  if (!o[k]) {
    process.stderr.write(`story.mjs: --${k} is required\n`);
    process.exit(2);
  }
}

const t0 = Number(o.t0 ?? Date.now());
const deadline = Date.now() + Number(o.timeout) * 1000;
const routerUrl = o['router-url'].replace(/\/$/, '');
const CHANNELS = ['console', 'kafka-dept', 'webhook'];
const CAMERAS = o.cameras.split(',').filter(Boolean);
const TYPES = o.types.split(',').filter(Boolean);

const elapsed = () => `+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const clock = (iso) =>
  iso ? new Date(iso).toLocaleTimeString('en-GB', { timeZone: o.tz, hour12: false }) : '        ';
const say = (line) => process.stdout.write(`${line}\n`);
const progress = (what, text, at) => say(`${elapsed()}  ${clock(at)}  ${what.padEnd(15)} ${text}`);

// ---- the stages, in the order the chain completes them (each for every camera / type) ------------
const STAGES = [
  { id: 'camera', who: 'edge-gateway or the RTSP cameras', logs: ['gateway', 'rtsp-cam-01'], what: `cameras ${CAMERAS.join(', ')} online on Kafka (CameraHealth)` },
  { id: 'violation', who: 'edge-gateway', logs: ['gateway'], what: `a violation start of each type on Kafka (${TYPES.join(', ')}; each scene's object appears ~10 s into its clip)` },
  { id: 'alert', who: 'stream-processor', logs: ['processor'], what: 'an alert for each type on Kafka (dwell rule for parking, count rule for the others)' },
  { id: 'work order', who: 'alert-router', logs: ['router'], what: "a dispatched work order for each type's alert on Kafka" },
  { id: 'delivery', who: 'alert-router channels', logs: ['router', 'webhook'], what: `each alert delivered on ${CHANNELS.join(', ')} (and received by the webhook receiver)` },
  { id: 'api', who: 'alert-router API', logs: ['router'], what: 'each work order readable through the REST API with the demo token' },
  { id: 'evidence', who: 'evidence store + router link', logs: ['gateway', 'router'], what: "each work order's evidence JPEG through a signed link (uploaded by the gateway, served by the router)" },
];

/** One story per violation type: its first start, alert, work order, deliveries, API read, picture. */
const stories = new Map(TYPES.map((type) => [type, { type, start: undefined, alert: undefined, workOrder: undefined, sent: new Map(), webhook: undefined, api: undefined, evidence: undefined }]));
const st = {
  online: new Map(),
  starts: new Map(),
  /** alertId → the story it belongs to (first alert of each type). */
  alerts: new Map(),
  done: false,
  /** Wall-clock time each stage was first seen complete. */
  marks: new Map(),
};

function storyReached(s, id) {
  switch (id) {
    case 'violation':
      return s.start !== undefined;
    case 'alert':
      return s.alert !== undefined;
    case 'work order':
      return s.workOrder !== undefined;
    case 'delivery':
      return CHANNELS.every((c) => s.sent.has(c)) && s.webhook !== undefined;
    case 'api':
      return s.api !== undefined;
    case 'evidence':
      return s.evidence !== undefined;
    default:
      return false;
  }
}

/** What is still missing at a stage: cameras not online, or the types whose story has not got there. */
function missing(id) {
  if (id === 'camera') return CAMERAS.filter((c) => !st.online.has(c));
  return [...stories.values()].filter((s) => !storyReached(s, id)).map((s) => s.type);
}
const reached = (id) => missing(id).length === 0;

function tail(name, n = 15) {
  const f = join(o['log-dir'], `${name}.log`);
  if (!existsSync(f)) return `    (no ${f})`;
  const lines = readFileSync(f, 'utf8').trimEnd().split('\n').slice(-n);
  return lines.map((l) => `    ${l.length > 400 ? `${l.slice(0, 400)}…` : l}`).join('\n');
}

let consumer;
async function finish(code, message) {
  if (st.done) return;
  st.done = true;
  if (message) process.stderr.write(`${message}\n`);
  await Promise.race([consumer?.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
  process.exit(code);
}

function fail(stage, why) {
  const s = STAGES.find((x) => x.id === stage);
  const logs = s ? s.logs.map((l) => join(o['log-dir'], `${l}.log`)).join(', ') : o['log-dir'];
  const last = s?.logs[0] ? `\n  last lines of ${s.logs[0]}.log:\n${tail(s.logs[0])}` : '';
  const lacking = s ? missing(stage) : [];
  const forWhat = lacking.length > 0 ? ` (still missing: ${lacking.join(', ')})` : '';
  void finish(1, `\ndemo: FAILED at stage '${stage}' (${s?.who ?? '?'}): ${why}${forWhat}\n  expected: ${s?.what ?? '?'}\n  logs: ${logs}${last}`);
}

// ---- Kafka ---------------------------------------------------------------------------------------
const topic = {
  detections: topicName(TOPICS.detections, o.prefix),
  health: topicName(TOPICS.cameraHealth, o.prefix),
  alerts: topicName(TOPICS.alerts, o.prefix),
  deliveries: topicName(TOPICS.deliveries, o.prefix),
  workOrders: topicName(TOPICS.workOrders, o.prefix),
  dept: topicName(departmentTopic(o.department), o.prefix),
};
const CONTRACT = {
  [topic.detections]: 'DetectionEvent',
  [topic.health]: 'CameraHealth',
  [topic.alerts]: 'Alert',
  [topic.deliveries]: 'Delivery',
  [topic.workOrders]: 'WorkOrderEvent',
  [topic.dept]: 'DepartmentNotice',
};
const storyOfAlert = (alertId) => st.alerts.get(alertId);
const allTold = () => reached('evidence');

function onMessage(t, v) {
  switch (CONTRACT[t]) {
    case 'CameraHealth':
      if (!CAMERAS.includes(v.cameraId)) return;
      if (v.status === 'online' && !st.online.has(v.cameraId)) {
        st.online.set(v.cameraId, v);
        progress('camera online', `${v.cameraId} (${v.reason})`, v.eventTime);
      } else if (v.heartbeat !== true && st.online.has(v.cameraId) && (o.follow || !allTold())) { // heartbeats re-state, they are no news
        progress(`camera ${v.status}`, `${v.cameraId} (${v.reason}${v.detail ? `: ${v.detail}` : ''})`, v.eventTime);
      }
      return;
    case 'DetectionEvent': {
      if (v.phase === 'start') {
        st.starts.set(v.violationId, v);
        const s = stories.get(v.type);
        if (s && s.start === undefined) s.start = v;
        progress('violation start', `${v.type} ${v.violationId} — ${v.objectClass} in zone ${v.zoneId} of ${v.cameraId}, still since ${clock(v.startedAt)}, dwell ${Math.round(v.dwellSeconds)} s`, v.eventTime);
      } else if (v.phase === 'end' && (o.follow || !allTold())) {
        progress('violation end', `${v.type} ${v.violationId} — ${v.endReason ?? 'ended'} after ${Math.round(v.dwellSeconds)} s`, v.eventTime);
      }
      return;
    }
    case 'Alert': {
      const s = stories.get(v.type);
      if (s && s.alert === undefined) {
        s.alert = v;
        st.alerts.set(v.alertId, s);
      }
      progress('alert', `alertId=${v.alertId} rule ${v.ruleId} (${v.ruleKind}): "${v.title}"${v.violationIds.length ? ` (violation ${v.violationIds.join(', ')})` : ''}`, v.eventTime);
      return;
    }
    case 'WorkOrderEvent': {
      const s = storyOfAlert(v.alertId);
      if (v.action === 'dispatched' && s && s.workOrder === undefined) s.workOrder = v;
      progress(`work order`, `workOrderId=${v.workOrderId} ${v.action} → ${v.status} (department ${v.departmentId}, by ${v.actor.kind} ${v.actor.id})${v.note ? ` — ${v.note}` : ''}`, v.at);
      return;
    }
    case 'Delivery': {
      const s = storyOfAlert(v.alertId);
      if (!s) {
        if (o.follow && ['sent', 'dead'].includes(v.outcome)) progress('delivery', `${v.channel.type} (${v.channel.name}) ${v.outcome} alert ${v.alertId}`, v.at);
        return;
      }
      if (v.outcome === 'sent' && !s.sent.has(v.channel.type)) {
        s.sent.set(v.channel.type, v);
        progress('delivered', `${s.type}: ${v.channel.type} (${v.channel.name}) attempt ${v.attempt}`, v.at);
      } else if (v.outcome === 'dead' || v.outcome === 'failed' || v.outcome === 'retrying') {
        progress('delivery', `${s.type}: ${v.channel.type} (${v.channel.name}) ${v.outcome}${v.error ? `: ${v.error.code} ${v.error.message}` : ''}`, v.at);
      }
      return;
    }
    case 'DepartmentNotice':
      if (o.follow) progress('dept queue', `${topic.dept}: notice for work order ${v.workOrderId}`, v.at);
      return;
    default:
  }
}

// ---- checks outside Kafka ------------------------------------------------------------------------
const get = (path, init = {}) =>
  fetch(`${routerUrl}${path}`, { ...init, headers: { authorization: `Bearer ${o.token}` }, signal: AbortSignal.timeout(5000) }).catch((e) => ({ status: 0, error: e }));

async function checkStory(s, webhookLines) {
  if (s.alert && s.webhook === undefined) {
    const hit = webhookLines.find((l) => l.alerts?.some((a) => a.alertId === s.alert.alertId));
    if (hit && !hit.signatureOk) return fail('delivery', `the webhook receiver got the ${s.type} alert with a BAD signature`);
    if (hit) {
      s.webhook = hit;
      progress('webhook recvd', `${s.type}: POST ${hit.path}, signature ok, "${hit.title}"`, hit.at);
    }
  }
  if (s.workOrder && s.api === undefined) {
    const res = await get(`/api/work-orders/${encodeURIComponent(s.workOrder.workOrderId)}`);
    if (res.status === 401 || res.status === 403) return fail('api', `the router refused the demo token (HTTP ${res.status})`);
    if (res.status === 200) {
      const body = await res.json();
      const wo = body.workOrder ?? body;
      s.api = wo;
      progress('API', `GET /api/work-orders/${s.workOrder.workOrderId} → 200: #${wo.number ?? '?'} ${wo.status}, "${wo.title}"`);
    }
  }
  if (s.workOrder && s.evidence === undefined) {
    // the picture, as a department sees it: a short-lived signed link the router issues for this
    // user and work order, served by the router from the evidence store (each view audited)
    const issued = await get(`/api/work-orders/${encodeURIComponent(s.workOrder.workOrderId)}/evidence/0/link`, { method: 'POST' });
    if (issued.status === 200) {
      const { url } = await issued.json();
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e) => ({ status: 0, error: e }));
      if (res.status === 200) {
        const bytes = (await res.arrayBuffer()).byteLength;
        s.evidence = { url, bytes, type: res.headers.get('content-type') };
        progress('evidence', `${s.type}: ${url} → 200 ${s.evidence.type}, ${Math.round(bytes / 1024)} kB (signed link, from the evidence store)`);
      } else if (res.status !== 404) {
        // 404 SW_ROUTER_EVIDENCE_PENDING: the box has not uploaded it yet; asked again next round
        return fail('evidence', `${url} answered ${res.status}`);
      } else await res.arrayBuffer().catch(() => undefined);
    } else if (issued.status !== 0 && issued.status !== 404) {
      return fail('evidence', `POST .../evidence/0/link answered ${issued.status} for the ${s.type} work order`);
    }
  }
}

let busy = false;
async function checks() {
  if (busy) return;
  busy = true;
  try {
    const webhookLines = existsSync(o['webhook-log'])
      ? readFileSync(o['webhook-log'], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      : [];
    for (const s of stories.values()) await checkStory(s, webhookLines);
  } finally {
    busy = false;
  }
}

function checkProcesses() {
  let files = [];
  try {
    files = readdirSync(o['pid-dir']).filter((f) => f.endsWith('.pid'));
  } catch {
    return;
  }
  for (const f of files) {
    const pid = Number(readFileSync(join(o['pid-dir'], f), 'utf8').trim());
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      const name = f.replace(/\.pid$/, '');
      const stage = STAGES.find((s) => !reached(s.id))?.id ?? 'follow';
      void finish(
        1,
        `\ndemo: FAILED at stage '${stage}': the ${name} process (pid ${pid}) exited\n  log: ${join(o['log-dir'], `${name}.log`)}\n  last lines:\n${tail(name)}`,
      );
      return;
    }
  }
}

function summary() {
  const t = (id) => `${((id - t0) / 1000).toFixed(1)} s`;
  say('');
  say('──────────────── streetwatch demo: four violations, from camera frame to work order ────────────────');
  for (const s of stories.values()) {
    const a = s.alert;
    const start = st.starts.get(a.violationIds[0] ?? '') ?? s.start;
    const wo = s.api ?? {};
    say(`  ${s.type}`);
    if (start) {
      say(`    violation start  ${start.violationId}: ${start.objectClass} in zone ${start.zoneId} of ${start.cameraId} since ${clock(start.startedAt)}, confirmed by the edge after ${Math.round(start.dwellSeconds)} s (${clock(start.eventTime)})`);
    }
    say(`    alert            alertId=${a.alertId}, rule ${a.ruleId} (${a.ruleKind}): "${a.title}", severity ${a.severity}`);
    say(`    work order       workOrderId=${s.workOrder.workOrderId} (#${wo.number ?? '?'}), department ${s.workOrder.departmentId}, status ${wo.status ?? s.workOrder.status}`);
    say(`    told by          ${[...s.sent.keys()].join(', ')}; webhook receiver checked the signature`);
    say(`    evidence         ${s.evidence.url}`);
  }
  say(`  console          ${routerUrl}/console`);
  say(`  demo token       ${o.token}   (user demo-head, role head, department ${o.department})`);
  if (o['prometheus-url']) say(`  prometheus       ${o['prometheus-url']}   (every service scraped; the rules of deploy/monitoring/prometheus)`);
  say(`  timings          (since the demo started) ${STAGES.map((s) => `${s.id} ${t(st.marks.get(s.id) ?? Date.now())}`).join(', ')}`);
  say('──────────────────────────────────────────────────────────────────────────────────────────────────────');
}

// ---- main ----------------------------------------------------------------------------------------
async function main() {
  const settings = stackSettings(process.env);
  const { brokers, ssl, sasl } = settings.kafka; // TLS + SASL as the stack's admin (.stack/env)
  const kafka = new kafkajs.Kafka({
    clientId: 'demo-story',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 5000,
    ...(ssl ? { ssl: { ca: ssl.ca ? [ssl.ca] : undefined, rejectUnauthorized: true } } : {}),
    ...(sasl ? { sasl: { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password } } : {}),
  });
  consumer = kafka.consumer({ groupId: `${o.prefix.replace(/\.$/, '')}-story-${process.pid}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) fail(STAGES.find((s) => !reached(s.id))?.id ?? 'follow', `the story's Kafka consumer crashed: ${e.payload.error?.message}`);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topic), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: t, message }) => {
      const r = decodeContract(CONTRACT[t], message.value);
      if (!r.ok) {
        progress('INVALID', `${t}: ${r.code} ${r.reason}`);
        return;
      }
      onMessage(t, r.value);
    },
  });

  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => void finish(st.done ? 0 : o.follow && reached('evidence') ? 0 : 130));

  let told = false;
  const timer = setInterval(() => {
    if (st.done) return clearInterval(timer);
    checkProcesses();
    void checks().catch((e) => progress('check', `error: ${e.message}`));
    for (const s of STAGES) if (!st.marks.has(s.id) && reached(s.id)) st.marks.set(s.id, Date.now());
    const pending = STAGES.find((s) => !reached(s.id));
    if (!pending && !told) {
      told = true;
      summary();
      if (o['done-file']) writeFileSync(o['done-file'], `${new Date().toISOString()}\n`);
      if (!o.follow) return void finish(0);
      say('\nRunning: the clips loop every 72 s, so each camera shows its violation (and a new work order arrives) about once a minute.');
      say('Open the console above, paste the token, and sign/handle the work orders; this feed shows each step. Ctrl-C stops the demo.\n');
    }
    if (pending && Date.now() > deadline) fail(pending.id, `nothing within ${o.timeout} s`);
  }, 500);
}

main().catch((err) => fail(STAGES.find((s) => !reached(s.id))?.id ?? 'follow', `the story could not read Kafka: ${err?.message ?? err}`));
