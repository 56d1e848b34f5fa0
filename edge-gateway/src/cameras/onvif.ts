/**
 * ONVIF (Profile S) with the `onvif` package: find devices (WS-Discovery), read their media
 * profiles, pick the analytics stream (the sub-stream: smallest resolution, Hikvision's 102),
 * and get its RTSP URI with the credentials put in.
 *
 * Discovery: `discoverOnvif` multicasts the standard Probe (239.255.255.250:3702) through the
 * package; `probeOnvif` sends the same Probe unicast to one address (networks without
 * multicast, and tests). Both parse ProbeMatches with the package's own SOAP parser.
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import onvif from 'onvif';
import { VideoError, type VideoErrorCode } from './errors.js';
import { redactText, withCredentials } from './url.js';

type SoapParse = (xml: string, cb: (err: Error | null, data: unknown, xml: string) => void, status?: number) => void;
const require = createRequire(import.meta.url);
const { parseSOAPString, linerase } = require('onvif/lib/utils') as { parseSOAPString: SoapParse; linerase: (x: unknown) => unknown };

export interface OnvifDevice {
  /** Endpoint reference (stable device id, e.g. urn:uuid:...). */
  urn: string;
  /** Device service URLs the device announced. */
  xaddrs: string[];
  scopes: string[];
  types: string[];
}

export interface OnvifTarget {
  host: string;
  port: number;
  path?: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
}

export interface OnvifStream {
  /** RTSP URI with credentials injected: pass it to the source, log only redactUrl(uri). */
  uri: string;
  profile: OnvifProfile;
  profiles: OnvifProfile[];
  device: { manufacturer?: string; model?: string; firmwareVersion?: string; serialNumber?: string };
}

/** 'sub' = smallest encoder resolution, 'main' = largest, anything else = a profile token or name. */
export type ProfileChoice = 'sub' | 'main' | (string & {});

export const WS_DISCOVERY_PORT = 3702;
export const WS_DISCOVERY_ADDRESS = '239.255.255.250';

/** The WS-Discovery Probe for NetworkVideoTransmitter (the same message the package sends). */
export function probeMessage(messageId: string): Buffer {
  return Buffer.from(
    '<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
      '<Header>' +
      `<wsa:MessageID xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">${messageId}</wsa:MessageID>` +
      '<wsa:To xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>' +
      '<wsa:Action xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>' +
      '</Header><Body>' +
      '<Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><Types>dn:NetworkVideoTransmitter</Types><Scopes /></Probe>' +
      '</Body></Envelope>',
  );
}

function words(v: unknown): string[] {
  return typeof v === 'string' ? v.split(/\s+/).filter((s) => s !== '') : [];
}

function toDevice(match: Record<string, unknown>): OnvifDevice | undefined {
  const epr = match.endpointReference as { address?: unknown } | undefined;
  const urn = typeof epr?.address === 'string' ? epr.address : undefined;
  const xaddrs = words(match.XAddrs);
  if (urn === undefined || xaddrs.length === 0) return undefined;
  return { urn, xaddrs, scopes: words(match.scopes), types: words(match.types) };
}

/** Devices in a ProbeMatches message (empty when it is not one). */
export function parseProbeMatches(xml: string): Promise<OnvifDevice[]> {
  return new Promise((resolve) => {
    parseSOAPString(xml, (err, data) => {
      if (err !== null || !Array.isArray(data)) return resolve([]);
      const body = linerase(data) as { probeMatches?: { probeMatch?: unknown } };
      const m = body.probeMatches?.probeMatch;
      const list = (Array.isArray(m) ? m : m === undefined ? [] : [m]) as Record<string, unknown>[];
      resolve(list.map(toDevice).filter((d): d is OnvifDevice => d !== undefined));
    }, 200);
  });
}

/** Multicast WS-Discovery through the `onvif` package; waits `timeoutMs`, returns what answered. */
export async function discoverOnvif(opts: { timeoutMs?: number; device?: string } = {}): Promise<OnvifDevice[]> {
  const found = new Map<string, OnvifDevice>();
  const onDevice = (raw: unknown) => {
    const d = toDevice(((raw as { probeMatches?: { probeMatch?: Record<string, unknown> } }).probeMatches?.probeMatch ?? {}) as Record<string, unknown>);
    if (d !== undefined) found.set(d.urn, d);
  };
  const onError = () => {}; // a bad reply from some other device must not crash the gateway
  onvif.Discovery.on('device', onDevice);
  onvif.Discovery.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const options: { timeout: number; resolve: false; device?: string } = { timeout: opts.timeoutMs ?? 3000, resolve: false };
      if (opts.device !== undefined) options.device = opts.device;
      onvif.Discovery.probe(options, (err) => {
        // per-device parse errors come back as an array: not fatal; a socket error is
        if (err !== null && !Array.isArray(err)) reject(new VideoError('SW_EDGE_CAMERA_UNREACHABLE', `WS-Discovery failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  } finally {
    onvif.Discovery.off('device', onDevice);
    onvif.Discovery.off('error', onError);
  }
  return [...found.values()];
}

/**
 * Unicast WS-Discovery Probe to one host (default port 3702). Returns after `timeoutMs`, or as
 * soon as `expect` devices have answered.
 */
export async function probeOnvif(
  host: string,
  opts: { port?: number; timeoutMs?: number; expect?: number } = {},
): Promise<OnvifDevice[]> {
  const port = opts.port ?? WS_DISCOVERY_PORT;
  const messageId = `urn:uuid:${randomUUID()}`;
  const socket = createSocket('udp4');
  const found = new Map<string, OnvifDevice>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, opts.timeoutMs ?? 2000);
      socket.on('message', (msg) => {
        const xml = msg.toString('utf8');
        if (!xml.includes(messageId)) return; // RelatesTo must name our probe
        void parseProbeMatches(xml).then((ds) => {
          for (const d of ds) found.set(d.urn, d);
          if (opts.expect !== undefined && found.size >= opts.expect) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new VideoError('SW_EDGE_CAMERA_UNREACHABLE', `WS-Discovery probe to ${host}:${port} failed`, { cause: err }));
      });
      socket.send(probeMessage(messageId), port, host);
    });
  } finally {
    socket.close();
  }
  return [...found.values()];
}

// ---------------------------------------------------------------- device and media service

interface RawProfile {
  $?: { token?: string };
  name?: string;
  videoEncoderConfiguration?: { encoding?: string; resolution?: { width?: number; height?: number } };
}

function profileInfo(p: RawProfile): OnvifProfile | undefined {
  const token = p.$?.token;
  if (typeof token !== 'string') return undefined;
  const out: OnvifProfile = { token, name: String(p.name ?? token) };
  const enc = p.videoEncoderConfiguration;
  if (enc?.encoding !== undefined) out.encoding = String(enc.encoding);
  if (typeof enc?.resolution?.width === 'number') out.width = enc.resolution.width;
  if (typeof enc?.resolution?.height === 'number') out.height = enc.resolution.height;
  return out;
}

/** Choose the profile for analytics. Profiles without a resolution sort last for 'sub'/'main'. */
export function pickProfile(profiles: readonly OnvifProfile[], choice: ProfileChoice): OnvifProfile | undefined {
  if (choice !== 'sub' && choice !== 'main') return profiles.find((p) => p.token === choice) ?? profiles.find((p) => p.name === choice);
  const sized = profiles.filter((p) => p.width !== undefined && p.height !== undefined);
  if (sized.length === 0) return choice === 'sub' ? (profiles[1] ?? profiles[0]) : profiles[0];
  const area = (p: OnvifProfile) => (p.width as number) * (p.height as number);
  return [...sized].sort((a, b) => (choice === 'sub' ? area(a) - area(b) : area(b) - area(a)))[0];
}

/** The SOAP fault subcode (e.g. `ter:NotAuthorized`) of a response, if it is a fault. */
export function soapFaultSubcode(xml: string): string | undefined {
  const m = /<(?:\w+:)?Subcode>\s*<(?:\w+:)?Value>([^<]+)<\/(?:\w+:)?Value>\s*<(?:\w+:)?Subcode>\s*<(?:\w+:)?Value>([^<]+)</.exec(xml)
    ?? /<(?:\w+:)?Subcode>\s*<(?:\w+:)?Value>([^<]+)</.exec(xml);
  if (m === null) return undefined;
  return (m[2] ?? m[1])?.trim();
}

type Cb<T> = (err: Error | null, value: T) => void;
type CamInstance = InstanceType<typeof onvif.Cam>;

function call<T>(cam: CamInstance, fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn.call(cam, (err, value) => (err ? reject(err) : resolve(value))));
}

/**
 * Map an `onvif` failure to a code. The package reports errors as plain Errors, so the HTTP
 * status and SOAP fault are taken from the last raw response it emitted; only its "Digest
 * authentication failed" (a 401 after sending credentials, which emits no raw response) is
 * recognised by its text.
 */
function classify(err: unknown, last: { xml: string; status: number } | undefined): VideoErrorCode {
  const e = err as NodeJS.ErrnoException;
  const sub = last === undefined ? undefined : soapFaultSubcode(last.xml);
  if (sub !== undefined && /NotAuthorized|FailedAuthentication|InvalidSecurity/i.test(sub)) return 'SW_EDGE_CAMERA_AUTH';
  if (last?.status === 401 || /^Digest authentication failed/.test(e?.message ?? '')) return 'SW_EDGE_CAMERA_AUTH';
  if (typeof e?.code === 'string' && /^E(CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|TIMEDOUT|NOTFOUND|AI_AGAIN)$/.test(e.code)) return 'SW_EDGE_CAMERA_UNREACHABLE';
  if (e?.message === 'Network timeout') return 'SW_EDGE_CAMERA_UNREACHABLE';
  return 'SW_EDGE_ONVIF_PROTOCOL';
}

/**
 * Connect to an ONVIF device, read its profiles and return the stream URI of the chosen one.
 * Throws VideoError: SW_EDGE_CAMERA_AUTH (wrong user/password), SW_EDGE_CAMERA_UNREACHABLE,
 * SW_EDGE_ONVIF_PROTOCOL (no usable profile / answer).
 */
export async function resolveOnvifStream(target: OnvifTarget, choice: ProfileChoice = 'sub'): Promise<OnvifStream> {
  const cam = new onvif.Cam({
    hostname: target.host,
    port: target.port,
    path: target.path ?? '/onvif/device_service',
    username: target.username,
    password: target.password,
    timeout: target.timeoutMs ?? 5000,
    autoconnect: false,
    preserveAddress: true,
  });
  let last: { xml: string; status: number } | undefined;
  cam.on('rawResponse', (xml: string, status: number) => {
    last = { xml, status };
  });
  const where = `${target.host}:${target.port}`;
  const fail = (step: string, err: unknown): never => {
    const code = classify(err, last);
    const msg = err instanceof Error ? err.message : String(err);
    throw new VideoError(code, `ONVIF ${step} at ${where}: ${redactText(msg)}`, { cause: err });
  };
  // Not cam.connect(): it also runs GetVideoSources and a source/profile matcher that throws
  // from inside a response callback on unusual configurations. The steps we need, in order:
  // the device clock (for the WS-Security timestamp), then the service addresses.
  try {
    await call<unknown>(cam, (cb) => cam.getSystemDateAndTime(cb as never));
  } catch (err) {
    fail('GetSystemDateAndTime', err);
  }
  try {
    await call<unknown>(cam, (cb) => cam.getServices(true, cb as never));
  } catch {
    try {
      await call<unknown>(cam, (cb) => cam.getCapabilities(cb as never)); // pre-GetServices devices
    } catch (err) {
      fail('GetCapabilities', err);
    }
  }
  let device: OnvifStream['device'] = {};
  try {
    const info = await call<Record<string, unknown>>(cam, (cb) => cam.getDeviceInformation(cb as never));
    device = {
      ...(info.manufacturer !== undefined && { manufacturer: String(info.manufacturer) }),
      ...(info.model !== undefined && { model: String(info.model) }),
      ...(info.firmwareVersion !== undefined && { firmwareVersion: String(info.firmwareVersion) }),
      ...(info.serialNumber !== undefined && { serialNumber: String(info.serialNumber) }),
    };
  } catch (err) {
    fail('GetDeviceInformation', err);
  }
  let raw: RawProfile[] = [];
  try {
    raw = await call<RawProfile[]>(cam, (cb) => cam.getProfiles(cb as never));
  } catch (err) {
    fail('GetProfiles', err);
  }
  const profiles = (Array.isArray(raw) ? raw : [raw]).map(profileInfo).filter((p): p is OnvifProfile => p !== undefined);
  const profile = pickProfile(profiles, choice);
  if (profile === undefined) {
    throw new VideoError('SW_EDGE_ONVIF_PROTOCOL', `ONVIF device at ${where} has no profile matching '${choice}' (has ${profiles.map((p) => p.token).join(', ') || 'none'})`);
  }
  let uri = '';
  try {
    const res = await call<{ uri?: unknown }>(cam, (cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: profile.token }, cb as never));
    uri = typeof res?.uri === 'string' ? res.uri : '';
  } catch (err) {
    fail('GetStreamUri', err);
  }
  if (!/^rtsps?:\/\//.test(uri)) throw new VideoError('SW_EDGE_ONVIF_PROTOCOL', `ONVIF GetStreamUri at ${where} returned no RTSP URI`);
  return { uri: withCredentials(uri, target.username, target.password), profile, profiles, device };
}
