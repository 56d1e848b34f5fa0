import t from 'tap';
import { CONTRACT_NAMES, CONTRACTS, EXAMPLES, assertValid, ContractViolationError, validate, exampleDetection, exampleFlowCount } from '../src/index.js';

t.test('every contract accepts its example', async (t) => {
  for (const name of CONTRACT_NAMES) {
    const r = validate(name, EXAMPLES[name]());
    t.ok(r.ok, `${name} example is valid${r.ok ? '' : ': ' + JSON.stringify(r.errors)}`);
  }
});

t.test('an invalid detection names the field path and the reason', async (t) => {
  const bad = { ...exampleDetection(), score: 1.7, bbox: { x: 0.1, y: 0.1, w: 0.2 } };
  const r = validate('DetectionEvent', bad);
  t.notOk(r.ok);
  if (r.ok) return;
  t.match(r.errors, [{ path: '/score', message: /<= 1/ }]);
  t.ok(r.errors.some((e) => e.path === '/bbox/h' && e.message === 'is required'), 'missing bbox.h reported');
});

t.test('unknown fields are refused by name', async (t) => {
  const r = validate('Alert', { ...EXAMPLES.Alert(), colour: 'red' });
  t.notOk(r.ok);
  if (!r.ok) t.same(r.errors, [{ path: '/colour', message: 'is not allowed (unknown field)' }]);
});

t.test('a wrong enum value and a malformed timestamp are both reported', async (t) => {
  const r = validate('DetectionEvent', { ...exampleDetection(), phase: 'begin', eventTime: 'yesterday' });
  t.notOk(r.ok);
  if (r.ok) return;
  const paths = r.errors.map((e) => e.path);
  t.ok(paths.includes('/phase'));
  t.ok(paths.includes('/eventTime'));
});

t.test('assertValid throws a coded error that carries the field errors', async (t) => {
  const err = t.throws(() => assertValid('CameraHealth', { status: 'maybe' })) as unknown;
  t.ok(err instanceof ContractViolationError);
  if (err instanceof ContractViolationError) {
    t.equal(err.code, 'SW_CONTRACT_INVALID');
    t.equal(err.retryable, false);
    t.ok(err.errors.length >= 3);
  }
});

t.test('a department notice validates the alert embedded in it', async (t) => {
  const notice = EXAMPLES.DepartmentNotice();
  const r = validate('DepartmentNotice', { ...notice, alert: { ...notice.alert, severity: 'urgent' } });
  t.notOk(r.ok);
  if (!r.ok) t.ok(r.errors.some((e) => e.path === '/alert/severity'));
});

t.test('contracts that embed another can be validated in any order', async (t) => {
  // A contract embedded in another (Alert inside DepartmentNotice) must not clash when compiled.
  const { spawnSync } = await import('node:child_process');
  const code = `import('@streetwatch/schemas').then((m) => {
    const a = m.validate('DepartmentNotice', m.EXAMPLES.DepartmentNotice()).ok;
    const b = m.validate('Alert', m.EXAMPLES.Alert()).ok;
    process.stdout.write(String(a && b));
  })`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.stdout, 'true', r.stderr);
});

t.test('string lengths count code points: a title of 256 emoji is within maxLength 256, 257 is not', async (t) => {
  const ok = validate('Alert', { ...EXAMPLES.Alert(), title: '🚗'.repeat(256) });
  t.ok(ok.ok, 'accepted although its UTF-16 length is 512');
  const long = validate('Alert', { ...EXAMPLES.Alert(), title: '🚗'.repeat(257) });
  t.notOk(long.ok);
  if (!long.ok) t.match(long.errors, [{ path: '/title', message: /256/ }]);
});

t.test('no contract has a minLength above 1 (the quick first pass relies on it)', async (t) => {
  const found: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}/${i}`));
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'minLength' && typeof v === 'number' && v > 1) found.push(`${path}: ${v}`);
        walk(v, `${path}/${k}`);
      }
    }
  };
  for (const name of CONTRACT_NAMES) walk(CONTRACTS[name], name);
  t.same(found, [], 'a minLength above 1 needs the quick pass in validate.ts reconsidered');
});

t.test('evidence is referenced by object key (new) or by a gateway URL (deprecated), never both, never neither', async (t) => {
  const base = { sha256: 'a'.repeat(64), contentType: 'image/jpeg', bytes: 100 };
  const key = 'edge/gw-1/2026-11-26/0b6f3c2e-5d1a-4f7e-9a53-2f1c7c1d9e01.jpg';
  t.ok(validate('DetectionEvent', exampleDetection({ evidence: { ...base, key } as never })).ok, 'by object key');
  t.ok(validate('DetectionEvent', exampleDetection({ evidence: { ...base, url: 'http://gw-1:8080/evidence/x.jpg' } as never })).ok, 'an old box’s URL still passes');
  t.notOk(validate('DetectionEvent', exampleDetection({ evidence: { ...base, key, url: 'http://gw-1/x.jpg' } as never })).ok, 'not both');
  t.notOk(validate('DetectionEvent', exampleDetection({ evidence: { ...base } as never })).ok, 'not neither');
  t.notOk(validate('DetectionEvent', exampleDetection({ evidence: { ...base, key: '../etc/passwd' } as never })).ok, 'a key is a plain object path');
  t.notOk(validate('DetectionEvent', exampleDetection({ evidence: { ...base, key: 'edge/gw-1/../gw-2/x.jpg' } as never })).ok, 'no .. segments');
});

t.test('a flow count names a whole UTC minute, counts per class and direction, nothing negative', async (t) => {
  t.ok(validate('FlowCount', exampleFlowCount()).ok, 'the example');
  t.ok(validate('FlowCount', exampleFlowCount({ minute: '2026-11-26T06:03:00Z' })).ok, 'without fraction');
  const bad = validate('FlowCount', {
    ...exampleFlowCount({ minute: '2026-11-26T06:03:20.000Z', observedSeconds: 61 }),
    counts: [{ objectClass: 'person', direction: 'up', count: -1 }],
  });
  t.notOk(bad.ok);
  if (bad.ok) return;
  const paths = bad.errors.map((e) => e.path);
  for (const p of ['/minute', '/observedSeconds', '/counts/0/direction', '/counts/0/count']) t.ok(paths.includes(p), `${p} reported`);
  t.notOk(validate('FlowCount', exampleFlowCount({ counts: [] })).ok, 'at least one count');
});

t.test('a camera health heartbeat is an optional boolean: old messages stay valid, a wrong type is named', async (t) => {
  const change = EXAMPLES.CameraHealth();
  t.notOk('heartbeat' in change, 'a change carries no heartbeat field (every .v1 message before it stays valid)');
  t.ok(validate('CameraHealth', change).ok);
  t.ok(validate('CameraHealth', { ...change, heartbeat: true }).ok);
  const r = validate('CameraHealth', { ...change, heartbeat: 'yes' });
  t.notOk(r.ok);
  if (!r.ok) t.match(r.errors, [{ path: '/heartbeat', message: /boolean/ }]);
});
