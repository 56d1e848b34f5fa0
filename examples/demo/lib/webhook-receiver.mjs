// A tiny stand-in for a department's own system: receives the router's webhook channel, checks
// the HMAC signature (X-Streetwatch-Signature: sha256=<hex HMAC-SHA256(body, secret)>), answers
// 200, and appends one JSON line per POST to the given file (the demo's story reads it).
//   DEMO_WEBHOOK_SECRET=... node webhook-receiver.mjs <port> <received.jsonl>
// Prints `READY http://127.0.0.1:<port>` once listening; stops on SIGTERM/SIGINT.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, file] = process.argv.slice(2);
const secret = process.env.DEMO_WEBHOOK_SECRET;
if (!port || !file || !secret) {
  process.stderr.write('usage: DEMO_WEBHOOK_SECRET=... webhook-receiver.mjs <port> <received.jsonl>\n');
  process.exit(2);
}

function signatureOk(body, header) {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(String(header ?? ''));
  return got.length === want.length && timingSafeEqual(got, want);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const ok = signatureOk(body, req.headers['x-streetwatch-signature']);
    let msg = {};
    try {
      msg = JSON.parse(body.toString('utf8'));
    } catch {
      /* recorded as unparsable below */
    }
    const entry = {
      at: new Date().toISOString(),
      path: req.url,
      signatureOk: ok,
      idempotencyKey: req.headers['x-streetwatch-idempotency-key'],
      departmentId: msg.departmentId,
      target: msg.target,
      title: msg.title,
      alerts: (msg.alerts ?? []).map((a) => ({ alertId: a.alertId, workOrderId: a.workOrderId, title: a.title })),
    };
    appendFileSync(file, JSON.stringify(entry) + '\n');
    process.stdout.write(`${entry.at} POST ${req.url} signature ${ok ? 'ok' : 'BAD'}: ${entry.title ?? '(no title)'}\n`);
    if (!ok) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-message-id': `demo-${Date.now()}` }).end('{"ok":true}');
  });
});

server.listen({ host: '127.0.0.1', port: Number(port) }, () => {
  process.stdout.write(`READY http://127.0.0.1:${port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
