import t from 'tap';
import { CameraConfigError, parseCameraConfig } from '../../src/cameras/config.js';

t.test('a camera gets analytic and watchdog defaults (2 fps, 640x480)', async (t) => {
  const cam = parseCameraConfig({ id: 'cam-01', source: { type: 'rtsp', url: 'rtsp://10.0.0.5/Streaming/Channels/102' } });
  t.equal(cam.analytic.fps, 2);
  t.equal(cam.analytic.width, 640);
  t.equal(cam.analytic.height, 480);
  t.equal(cam.watchdog.authBackoffMs, 60_000);
  t.equal(cam.source.type, 'rtsp');
});

t.test('source.type selects the source schema and its defaults', async (t) => {
  const hik = parseCameraConfig({ id: 'cam-02', source: { type: 'hikvision', host: '10.0.0.6', username: 'admin', password: 'x' } });
  t.match(hik.source, { type: 'hikvision', port: 554, channel: 1, stream: 'sub' });
  const onvif = parseCameraConfig({ id: 'cam-03', source: { type: 'onvif', host: '10.0.0.7', username: 'admin', password: 'x' } });
  t.match(onvif.source, { type: 'onvif', port: 80, path: '/onvif/device_service', profile: 'sub' });
  const file = parseCameraConfig({ id: 'cam-04', source: { type: 'file', path: '/v.mp4' } });
  t.match(file.source, { type: 'file', loop: false, realtime: false });
});

t.test('unknown keys and bad values are rejected with their key path, without echoing secrets', async (t) => {
  const err = t.throws(() =>
    parseCameraConfig({
      id: 'cam-05',
      source: { type: 'hikvision', host: 'h', username: 'admin', password: 'TopSecret', port: 70000, colour: 'red' },
      analytic: { fps: 0 },
    }),
  ) as CameraConfigError;
  t.type(err, CameraConfigError);
  const paths = err.errors.map((e) => e.path);
  t.ok(paths.includes('/source/port'), `paths: ${paths.join(',')}`);
  t.ok(paths.some((p) => p.startsWith('/source')) && err.errors.some((e) => e.path === '/source/colour'), 'unknown key reported');
  t.ok(paths.includes('/analytic/fps'), 'errors outside source reported too');
  t.notMatch(err.message, /TopSecret/);
  const bad = t.throws(() => parseCameraConfig({ id: 'cam-06', source: { type: 'webcam' } })) as CameraConfigError;
  t.same(bad.errors.map((e) => e.path), ['/source/type']);
  const fps = t.throws(() => parseCameraConfig({ id: 'cam-07', source: { type: 'file', path: '/v' }, analytic: { fps: 0 } })) as CameraConfigError;
  t.ok(fps.errors.some((e) => e.path === '/analytic/fps'));
});
