import t from 'tap';
import { hikvisionRtspUrl, redactText, redactUrl, withCredentials } from '../../src/cameras/url.js';

t.test('Hikvision URLs use /Streaming/Channels/<channel><stream> with the sub-stream by default', async (t) => {
  t.equal(hikvisionRtspUrl({ host: '10.0.0.5' }), 'rtsp://10.0.0.5:554/Streaming/Channels/102');
  t.equal(hikvisionRtspUrl({ host: '10.0.0.5', stream: 'main' }), 'rtsp://10.0.0.5:554/Streaming/Channels/101');
  t.equal(hikvisionRtspUrl({ host: 'nvr', port: 8554, channel: 12, stream: 'sub' }), 'rtsp://nvr:8554/Streaming/Channels/1202');
  t.equal(
    hikvisionRtspUrl({ host: '10.0.0.5', username: 'admin', password: 'p@ss:w/rd' }),
    'rtsp://admin:p%40ss%3Aw%2Frd@10.0.0.5:554/Streaming/Channels/102',
  );
  t.throws(() => hikvisionRtspUrl({ host: 'x', channel: 0 }), RangeError);
});

t.test('credentials are injected percent-encoded and replace any already in the URL', async (t) => {
  t.equal(withCredentials('rtsp://old:old@cam:554/x', 'u', 'p w'), 'rtsp://u:p%20w@cam:554/x');
});

t.test('redactUrl removes user and password but keeps host, port and path', async (t) => {
  t.equal(redactUrl('rtsp://admin:secret@10.0.0.5:554/Streaming/Channels/102'), 'rtsp://***:***@10.0.0.5:554/Streaming/Channels/102');
  t.equal(redactUrl('rtsp://10.0.0.5/Streaming/Channels/102'), 'rtsp://10.0.0.5/Streaming/Channels/102');
  t.notMatch(redactUrl('rtsp://admin:s3cr%40t@h/p'), /s3cr/);
  t.notMatch(redactUrl('not a url rtsp://a:b@h/p'), /a:b@/);
});

t.test('redactText hides credentials in free text such as ffmpeg stderr', async (t) => {
  const line = 'rtsp://admin:Passw0rd!@127.0.0.1:8554/Streaming/Channels/102: Server returned 401 Unauthorized';
  const out = redactText(line);
  t.notMatch(out, /Passw0rd/);
  t.match(out, /rtsp:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:8554/);
  t.match(out, /401 Unauthorized/);
  t.equal(redactText('rtsp://admin:p@ss@10.0.0.5/x and rtsp://10.0.0.6/y'), 'rtsp://***:***@10.0.0.5/x and rtsp://10.0.0.6/y');
});
