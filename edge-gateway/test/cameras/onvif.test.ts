import t from 'tap';
import { parseCameraConfig } from '../../src/cameras/config.js';
import { VideoError } from '../../src/cameras/errors.js';
import { discoverOnvif, pickProfile, probeOnvif, resolveOnvifStream, soapFaultSubcode } from '../../src/cameras/onvif.js';
import { createFrameSource } from '../../src/source/create.js';
import type { CameraHealthEvent } from '../../src/source/types.js';
import { startOnvifSimulator } from '../support/onvif-simulator.js';
import { freePort, startRtspCamera, type Teardown } from '../support/rtsp-camera.js';
import { scenePath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const USER = 'admin';
const PASSWORD = 'Hik12345!';

/** A simulator whose GetStreamUri points at `rtspPort` (the RTSP camera may start later). */
async function simulator(t: Teardown, rtspPort: number, multicast = false) {
  return startOnvifSimulator(t, {
    username: USER,
    password: PASSWORD,
    multicast,
    streams: {
      main: `rtsp://127.0.0.1:${rtspPort}/Streaming/Channels/101`,
      sub: `rtsp://127.0.0.1:${rtspPort}/Streaming/Channels/102`,
    },
  });
}

t.test('WS-Discovery multicast probe finds the simulated camera and its device service address', async (t) => {
  // The Probe goes to 239.255.255.250:3702 through the onvif package; multicast loops back
  // to local listeners here (checked on these machines; see the report for networks without it).
  const sim = await simulator(t, await freePort(), true);
  const devices = await discoverOnvif({ timeoutMs: 1500 });
  const mine = devices.find((d) => d.urn === sim.urn);
  t.ok(mine, `found ${devices.map((d) => d.urn).join(', ') || 'nothing'}`);
  t.same(mine?.xaddrs, [sim.xaddr]);
  t.ok(mine?.types.includes('dn:NetworkVideoTransmitter'));
  t.ok(mine?.scopes.includes('onvif://www.onvif.org/name/HIKVISION'));
});

t.test('a unicast probe gets the ProbeMatch of the device and parses it', async (t) => {
  const sim = await simulator(t, await freePort());
  const devices = await probeOnvif('127.0.0.1', { port: sim.discoveryPort, timeoutMs: 3000, expect: 1 });
  t.same(
    devices.map((d) => [d.urn, d.xaddrs]),
    [[sim.urn, [sim.xaddr]]],
  );
});

t.test('with the right credentials the profiles are read and the sub-stream URI is chosen, with credentials put in', async (t) => {
  const rtspPort = await freePort();
  const sim = await simulator(t, rtspPort);
  const stream = await resolveOnvifStream({ host: sim.host, port: sim.port, username: USER, password: PASSWORD });
  t.same(
    stream.profiles.map((p) => [p.token, p.width, p.height]),
    [
      ['Profile_1', 768, 576],
      ['Profile_2', 384, 288],
    ],
  );
  t.equal(stream.profile.token, 'Profile_2', 'the smallest profile is the analytics sub-stream');
  t.equal(stream.uri, `rtsp://admin:Hik12345!@127.0.0.1:${rtspPort}/Streaming/Channels/102`);
  t.match(stream.device, { manufacturer: 'HIKVISION', model: 'DS-2CD2T47G2-L' });
  t.ok(sim.actions.includes('GetProfiles') && sim.actions.includes('GetStreamUri'));
  t.same(sim.rejected, [], 'every authenticated call carried a valid PasswordDigest');
  const main = await resolveOnvifStream({ host: sim.host, port: sim.port, username: USER, password: PASSWORD }, 'main');
  t.equal(main.profile.token, 'Profile_1');
  t.match(main.uri, /\/Streaming\/Channels\/101$/);
});

t.test('a wrong password gives a clear SW_EDGE_CAMERA_AUTH error without the password in it', async (t) => {
  const sim = await simulator(t, await freePort());
  const err = await resolveOnvifStream({ host: sim.host, port: sim.port, username: USER, password: 'guess-1234' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, VideoError);
  t.equal((err as VideoError).code, 'SW_EDGE_CAMERA_AUTH');
  t.equal((err as VideoError).retryable, false);
  t.match((err as VideoError).message, /rejected the credentials/);
  t.notMatch((err as VideoError).message, /guess-1234/);
  t.ok(sim.rejected.length > 0, `simulator rejected ${sim.rejected.join(', ')}`);
});

t.test('an unreachable ONVIF address is SW_EDGE_CAMERA_UNREACHABLE', async (t) => {
  const port = await freePort();
  const err = (await resolveOnvifStream({ host: '127.0.0.1', port, username: USER, password: PASSWORD, timeoutMs: 2000 }).catch((e: unknown) => e)) as VideoError;
  t.equal(err.code, 'SW_EDGE_CAMERA_UNREACHABLE');
});

t.test('an onvif-type camera decodes the sub-stream the device points at', async (t) => {
  const camera = await startRtspCamera(t, { video: scenePath('vtest-20s.mp4'), user: USER, password: PASSWORD });
  const sim = await simulator(t, camera.port);
  const cam = parseCameraConfig({
    id: 'cam-onvif',
    source: { type: 'onvif', host: sim.host, port: sim.port, username: USER, password: PASSWORD },
    analytic: { fps: 2, width: 192, height: 144 },
  });
  const health: CameraHealthEvent[] = [];
  let frames = 0;
  const source = createFrameSource(cam, { onFrame: () => void frames++, onHealth: (e) => health.push(e) });
  t.teardown(() => source.close());
  source.start();
  await waitFor(() => frames >= 2, { timeoutMs: 20_000, what: 'frames through ONVIF' });
  t.same(health.map((e) => e.status), ['online']);
});

t.test('an onvif-type camera with a wrong password goes offline as SW_EDGE_CAMERA_AUTH before any RTSP', async (t) => {
  const sim = await simulator(t, await freePort());
  const cam = parseCameraConfig({
    id: 'cam-onvif-badpw',
    source: { type: 'onvif', host: sim.host, port: sim.port, username: USER, password: 'nope' },
  });
  const health: CameraHealthEvent[] = [];
  const source = createFrameSource(cam, { onFrame: () => {}, onHealth: (e) => health.push(e) });
  t.teardown(() => source.close());
  source.start();
  const off = await waitFor(() => health[0], { what: 'offline event' });
  t.match(off, { status: 'offline', reason: 'SW_EDGE_CAMERA_AUTH', retryable: false });
  t.ok(off.retryInMs! >= 60_000 * 0.8, 'default auth backoff: about a minute');
  t.equal(source.status().spawns, 0, 'no ffmpeg started');
});

t.test('profile choice and SOAP fault parsing', async (t) => {
  const ps = [
    { token: 'a', name: 'main', width: 1920, height: 1080 },
    { token: 'b', name: 'sub', width: 640, height: 360 },
    { token: 'c', name: 'third', width: 1280, height: 720 },
  ];
  t.equal(pickProfile(ps, 'sub')?.token, 'b');
  t.equal(pickProfile(ps, 'main')?.token, 'a');
  t.equal(pickProfile(ps, 'c')?.token, 'c');
  t.equal(pickProfile(ps, 'third')?.token, 'c');
  t.equal(pickProfile([{ token: 'x', name: 'x' }, { token: 'y', name: 'y' }], 'sub')?.token, 'y', 'no sizes: the second profile');
  const xml =
    '<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code></env:Fault>';
  t.equal(soapFaultSubcode(xml), 'ter:NotAuthorized');
  t.equal(soapFaultSubcode('<ok/>'), undefined);
});
