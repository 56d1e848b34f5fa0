/**
 * The alert stream's multipart parser on the shapes cameras send: split at every chunk size,
 * a JPEG that contains the boundary text, bare LF delimiters, parts without Content-Length,
 * `boundary=--boundary`, noise before and between parts, oversized parts.
 */
import t from 'tap';
import { alertXml, HEARTBEAT } from '../support/isapi-camera.js';
import { boundaryOf, isPart, MultipartStreamParser, type ParseOutput } from '../../src/isapi/multipart.js';

const event = Buffer.from(alertXml({ eventType: 'parking', regions: [{ id: 1, points: [[100, 200], [300, 400]] }] }));
const heartbeat = Buffer.from(alertXml(HEARTBEAT));
// a "JPEG" whose bytes contain the delimiter text, not at the start of a line
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('xx--boundary\r\nContent-Type: x\r\n'), Buffer.from([0, 1, 0xff, 0xd9])]);

function stream(parts: { type: string; body: Buffer; length?: boolean }[], opts: { end?: string; delimiter?: string; preamble?: string } = {}): Buffer {
  const d = opts.delimiter ?? '--boundary';
  const nl = opts.end ?? '\r\n';
  const chunks: Buffer[] = [Buffer.from(opts.preamble ?? '')];
  for (const p of parts) {
    chunks.push(Buffer.from(`${d}${nl}Content-Type: ${p.type}\r\n${p.length === false ? '' : `Content-Length: ${p.body.length}\r\n`}\r\n`), p.body, Buffer.from('\r\n'));
  }
  return Buffer.concat(chunks);
}

function feed(p: MultipartStreamParser, data: Buffer, size: number): ParseOutput[] {
  const out: ParseOutput[] = [];
  for (let i = 0; i < data.length; i += size) out.push(...p.push(data.subarray(i, i + size)));
  return out;
}

const bodies = (o: ParseOutput[]) => o.filter(isPart).map((p) => p.body.toString('latin1'));

t.test('the boundary parameter is read as the camera spells it', async (t) => {
  t.equal(boundaryOf('multipart/mixed; boundary=boundary'), 'boundary');
  t.equal(boundaryOf('multipart/mixed;boundary=--myboundary'), '--myboundary');
  t.equal(boundaryOf('multipart/mixed; boundary="MIME_boundary"'), 'MIME_boundary');
  t.equal(boundaryOf('multipart/mixed'), undefined);
  t.equal(boundaryOf(null), undefined);
});

t.test('event, picture and heartbeat parts come out whole at every chunk size', async (t) => {
  const data = stream([
    { type: 'application/xml; charset="UTF-8"', body: event },
    { type: 'image/jpeg', body: jpeg },
    { type: 'application/xml; charset="UTF-8"', body: heartbeat },
  ]);
  const want = [event, jpeg, heartbeat].map((b) => b.toString('latin1'));
  for (const size of [1, 2, 3, 7, 13, 64, 500, data.length]) {
    const out = feed(new MultipartStreamParser('boundary'), data, size);
    t.same(bodies(out), want, `chunk size ${size}`);
  }
  const out = new MultipartStreamParser('boundary').push(data);
  t.equal((out[1] as { headers: Record<string, string> }).headers['content-type'], 'image/jpeg', 'header names are lower-cased');
});

t.test('parts without Content-Length run to the next delimiter line, bare LF delimiters included', async (t) => {
  const data = stream(
    [
      { type: 'application/xml', body: event, length: false },
      { type: 'image/jpeg', body: jpeg, length: false },
      { type: 'application/xml', body: heartbeat, length: false },
    ],
    { end: '\n' },
  );
  for (const size of [1, 5, 4096]) {
    const out = feed(new MultipartStreamParser('boundary'), Buffer.concat([data, Buffer.from('--boundary--\r\n')]), size);
    t.same(bodies(out), [event, jpeg, heartbeat].map((b) => b.toString('latin1')), `chunk size ${size}`);
  }
});

t.test('a boundary parameter with leading dashes matches its delimiter lines either way', async (t) => {
  const a = new MultipartStreamParser('--boundary').push(stream([{ type: 'application/xml', body: event }], { delimiter: '--boundary' }));
  t.same(bodies(a), [event.toString('latin1')], 'lines "--boundary"');
  const b = new MultipartStreamParser('--boundary').push(stream([{ type: 'application/xml', body: event }], { delimiter: '----boundary' }));
  t.same(bodies(b), [event.toString('latin1')], 'lines "----boundary"');
});

t.test('noise before the first part and between parts is skipped', async (t) => {
  const one = stream([{ type: 'application/xml', body: event }], { preamble: 'HTTP noise\r\n' });
  const data = Buffer.concat([one, Buffer.from('garbage that is not a delimiter\r\n'), stream([{ type: 'application/xml', body: heartbeat }])]);
  t.same(bodies(feed(new MultipartStreamParser('boundary'), data, 11)), [event, heartbeat].map((b) => b.toString('latin1')));
});

t.test('an oversized part is reported and skipped without buffering it; the next part comes out', async (t) => {
  const big = Buffer.alloc(5000, 0x41);
  const p = new MultipartStreamParser('boundary', 2048);
  const data = stream([
    { type: 'image/jpeg', body: big },
    { type: 'application/xml', body: event },
  ]);
  const out = feed(p, data, 300);
  t.match(out[0], { problem: 'too_large' });
  t.same(bodies(out), [event.toString('latin1')]);
  t.ok(p.buffered < 2048, 'never held the big part');
});

t.test('a part with a broken header block is reported and the stream goes on', async (t) => {
  const data = Buffer.concat([Buffer.from('--boundary\r\nthis is no header\r\n\r\n<x/>\r\n'), stream([{ type: 'application/xml', body: event }])]);
  const out = new MultipartStreamParser('boundary').push(data);
  t.match(out[0], { problem: 'bad_headers' });
  t.same(bodies(out), [event.toString('latin1')]);
});

t.test('the closing delimiter ends the stream', async (t) => {
  const p = new MultipartStreamParser('boundary');
  p.push(Buffer.concat([stream([{ type: 'application/xml', body: event }]), Buffer.from('--boundary--\r\n')]));
  t.ok(p.ended);
  t.same(p.push(stream([{ type: 'application/xml', body: event }])), []);
});
