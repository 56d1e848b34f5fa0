// Picks the demo's TCP ports on 127.0.0.1: the preferred one when it is free, else any free port
// (an explicit DEMO_<NAME>_PORT must be free: a busy pinned port is an error).
// Prints `NAME=port` lines for the shell.   node ports.mjs ROUTER=8090 GATEWAY=8080 ...
import { createServer } from 'node:net';

function tryListen(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
    });
  });
}

const taken = new Set();
const out = [];
for (const arg of process.argv.slice(2)) {
  const [name, preferred] = arg.split('=');
  const pinned = process.env[`DEMO_${name}_PORT`];
  let port;
  if (pinned) {
    port = await tryListen(Number(pinned));
    if (port === undefined) {
      process.stderr.write(`demo: port ${pinned} (DEMO_${name}_PORT) is busy — free it or pick another\n`);
      process.exit(1);
    }
  } else {
    port = taken.has(Number(preferred)) ? undefined : await tryListen(Number(preferred));
    while (port === undefined || taken.has(port)) port = await tryListen(0);
  }
  taken.add(port);
  out.push(`DEMO_${name}_PORT=${port}`);
}
process.stdout.write(out.join('\n') + '\n');
