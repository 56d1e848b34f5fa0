import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger, redactText, redactUrl } from '../src/index.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

t.test('RTSP credentials never reach the log, in fields, messages or errors', async (t) => {
  const { lines, stream } = capture();
  const log = createLogger({ name: 't', destination: stream });
  const url = 'rtsp://admin:Hik12345@10.0.0.5:554/Streaming/Channels/102';
  log.info({ url }, 'connecting');
  log.info(`ffmpeg said: 401 for ${url}`);
  log.error({ err: new Error(`cannot open ${url}`) }, 'failed');
  log.info({ camera: { password: 'Hik12345', user: 'admin' }, secret: 's3' }, 'cfg');
  const all = lines.join('');
  t.notMatch(all, /Hik12345/);
  t.notMatch(all, /"s3"/);
  t.match(all, /rtsp:\/\/\*\*\*:\*\*\*@10\.0\.0\.5/);
});

t.test('redactUrl hides user and password, keeps host, port and path; a password with an unencoded @ does not leak', async (t) => {
  t.equal(redactUrl('rtsp://u:p@h:554/x'), 'rtsp://***:***@h:554/x');
  t.equal(redactUrl('rtsp://h/x'), 'rtsp://h/x');
  t.equal(redactText('see rtsp://admin:p@ss@10.0.0.5/x and http://a:b@h/'), 'see rtsp://***:***@10.0.0.5/x and http://***:***@h/');
});
