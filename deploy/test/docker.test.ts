// Dockerfiles, checked statically (no Docker engine runs here, so no image is built in CI): every
// stage is node:20-slim, the image runs as a non-root user, every file it copies from the
// repository exists and is not excluded by its .dockerignore, and its entry point is a built
// main.ts of the service. The gateway image installs ffmpeg.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './support/metrics.js';

const DOCKER = join(REPO, 'deploy', 'docker');
const SERVICES = [
  { name: 'stream-processor', port: 9464 },
  { name: 'alert-router', port: 8090 },
  { name: 'edge-gateway', port: 8080 },
];

interface Instruction {
  op: string;
  args: string;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf(' ');
      return { op: l.slice(0, i).toUpperCase(), args: l.slice(i + 1).trim() };
    });
}

/** A .dockerignore pattern (`**` any folders, `*` within one name) matching a path or its parents. */
function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(?:/|$)`);
}

function stages(ins: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of ins) {
    if (i.op === 'FROM') out.push([]);
    out[out.length - 1]?.push(i);
  }
  return out;
}

for (const { name, port } of SERVICES) {
  const file = join(DOCKER, `${name}.Dockerfile`);

  t.test(`${name}.Dockerfile: multi-stage on node:20-slim, non-root, health-checked, entry point built from src/main.ts`, async (t) => {
    const ins = instructions(readFileSync(file, 'utf8'));
    const st = stages(ins);
    t.ok(st.length >= 2, 'multi-stage');
    const names = new Set<string>();
    for (const s of st) {
      const from = s[0]!.args.split(/\s+/);
      t.ok(from[0] === 'node:20-slim' || names.has(from[0]!), `FROM ${from[0]} is node:20-slim or an earlier stage`);
      if (from[1]?.toUpperCase() === 'AS' && from[2]) names.add(from[2]);
    }
    const final = st[st.length - 1]!;
    const user = final.filter((i) => i.op === 'USER').pop();
    t.ok(user && !/^(root|0)(:|$)/.test(user.args), `final stage runs as ${user?.args}`);
    t.ok(final.some((i) => i.op === 'HEALTHCHECK' && i.args.includes(`${port}/healthz`)), `HEALTHCHECK on :${port}/healthz`);
    t.ok(final.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes(String(port))), `EXPOSE ${port}`);
    const entry = final.find((i) => i.op === 'ENTRYPOINT');
    const script = (JSON.parse(entry?.args ?? '[]') as string[])[1] ?? '';
    t.equal(script, `${name}/dist/main.js`);
    t.ok(existsSync(join(REPO, name, 'src', 'main.ts')), `${name}/src/main.ts exists (compiled to ${script})`);
  });

  t.test(`${name}.Dockerfile: what it copies from the repository exists and is sent in the build context`, async (t) => {
    const ins = instructions(readFileSync(file, 'utf8'));
    const ignore = readFileSync(`${file}.dockerignore`, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const ignored = (p: string) => ignore.some((pat) => globToRegExp(pat).test(p.replace(/\/$/, '')));
    const copies = ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
    t.ok(copies.length >= 5);
    for (const c of copies) {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        t.ok(existsSync(join(REPO, src)), `${src} exists`);
        t.notOk(ignored(src), `${src} is not excluded by the .dockerignore`);
      }
    }
    t.ok(ignored('edge-gateway/node_modules') && ignored('platform/dist') && ignored('.git'), 'node_modules, dist and .git stay out of the context');
  });
}

t.test('the gateway image has ffmpeg and the detector model at the modelDir its example config names', async (t) => {
  const ins = instructions(readFileSync(join(DOCKER, 'edge-gateway.Dockerfile'), 'utf8'));
  const st = stages(ins);
  const final = st[st.length - 1]!;
  t.ok(final.some((i) => i.op === 'RUN' && /apt-get install[^&]*\bffmpeg\b/.test(i.args)), 'ffmpeg installed in the runtime stage');
  t.ok(final.some((i) => i.op === 'COPY' && /\/app\/models models$/.test(i.args)), 'model copied to /app/models');
  t.match(readFileSync(join(REPO, 'k8s/overlays/edge/gateway.example.yaml'), 'utf8'), /modelDir: \/app\/models/);
  t.ok(ins.some((i) => i.op === 'RUN' && i.args.includes('edge-gateway/scripts/fetch-model.sh')), 'model fetched with the checksum-verifying script');
  // The native backend (issue 13): built from npm + PyPI, the SavedModel beside the model, and
  // libtensorflow carried into the runtime stage at the path the addon's deps/ link names.
  const build = st[0]!;
  const buildEnv = build.find((i) => i.op === 'ENV' && /STREETWATCH_CACHE=(\S+)/.test(i.args));
  const cache = /STREETWATCH_CACHE=(\S+)/.exec(buildEnv?.args ?? '')?.[1];
  t.ok(cache, 'the build stage fixes STREETWATCH_CACHE');
  t.ok(build.some((i) => i.op === 'RUN' && /build-tfjs-node\.sh[\s\S]*convert-savedmodel\.sh[\s\S]*centernet\.savedmodel/.test(i.args)), 'addon built and the SavedModel copied beside the model');
  t.ok(build.some((i) => i.op === 'RUN' && /apt-get install[^&]*\bpython3-pip\b[^&]*\bpython3-venv\b/.test(i.args)), 'pip and venv for the wheel and the converter');
  t.ok(st[1]!.some((i) => i.op === 'RUN' && /npm ci[\s\S]*build-tfjs-node\.sh/.test(i.args)), 'the production install restores the addon after npm ci');
  t.ok(final.some((i) => i.op === 'COPY' && i.args === `--from=deps ${cache}/tfjs-node ${cache}/tfjs-node`), 'libtensorflow copied to the same path');
  for (const f of ['edge-gateway/scripts/build-tfjs-node.sh', 'edge-gateway/scripts/convert-savedmodel.sh', 'edge-gateway/native.lock.json']) {
    t.ok(existsSync(join(REPO, f)), `${f} exists and is in the context`);
  }
});

t.test('the processor and router images carry the setup script the Job and compose run', async (t) => {
  for (const name of ['stream-processor', 'alert-router']) {
    const text = readFileSync(join(DOCKER, `${name}.Dockerfile`), 'utf8');
    t.match(text, /COPY deploy\/docker\/provision\.mjs deploy\/docker\/provision\.mjs/, name);
  }
  t.ok(existsSync(join(DOCKER, 'provision.mjs')));
});
