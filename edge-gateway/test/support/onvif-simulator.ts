/**
 * ONVIF device simulator written from the ONVIF Core / Media (ver10) specs, for tests:
 *  - SOAP 1.2 over HTTP on 127.0.0.1:<port 0>: GetSystemDateAndTime, GetCapabilities,
 *    GetServices, GetDeviceInformation, GetProfiles (main 768x576 + sub 384x288),
 *    GetVideoSources, GetStreamUri (pointing at the RTSP test camera).
 *  - WS-Security UsernameToken with PasswordDigest = base64(sha1(nonce + created + password)).
 *    Access classes as in the Core spec: GetSystemDateAndTime, GetCapabilities, GetServices are
 *    PRE_AUTH; everything else needs a valid token, else HTTP 400 + SOAP fault
 *    env:Sender / ter:NotAuthorized.
 *  - WS-Discovery: answers a Probe for NetworkVideoTransmitter with a ProbeMatch (unicast reply
 *    to the sender), on a unicast UDP port of its own (`discoveryPort`) and, when `multicast` is
 *    on, on 239.255.255.250:3702 (shared with reuseAddr).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from './rtsp-camera.js';

export interface OnvifSimOptions {
  username: string;
  password: string;
  /** RTSP URIs the two profiles hand out (no credentials: ONVIF devices do not embed them). */
  streams: { main: string; sub: string };
  /** Also answer multicast WS-Discovery on 239.255.255.250:3702. */
  multicast?: boolean;
}

export interface OnvifSimulator {
  host: string;
  port: number;
  path: string;
  xaddr: string;
  urn: string;
  /** Unicast WS-Discovery port of this simulator. */
  discoveryPort: number;
  /** SOAP actions received, in order (e.g. 'GetProfiles'), and those rejected for auth. */
  actions: string[];
  rejected: string[];
  close(): Promise<void>;
}

const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices', 'GetServiceCapabilities', 'GetWsdlUrl', 'GetHostname', 'GetEndpointReference']);
const NS =
  'xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ' +
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:ter="http://www.onvif.org/ver10/error"';
const PROFILES = [
  { token: 'Profile_1', name: 'mainStream', width: 768, height: 576, stream: 'main' as const },
  { token: 'Profile_2', name: 'subStream', width: 384, height: 288, stream: 'sub' as const },
];

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${NS}><env:Header/><env:Body>${body}</env:Body></env:Envelope>`;
}

function fault(code: string, subcode: string, reason: string): string {
  return envelope(
    `<env:Fault><env:Code><env:Value>${code}</env:Value><env:Subcode><env:Value>${subcode}</env:Value></env:Subcode></env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${reason}</env:Text></env:Reason></env:Fault>`,
  );
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${name}>`).exec(xml)?.[1]?.trim();
}

/** The first element inside the SOAP Body: the operation. */
function action(xml: string): string | undefined {
  return /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(xml)?.[1];
}

/** WS-UsernameToken PasswordDigest check (OASIS UsernameToken Profile 1.0, ONVIF Core 5.12). */
function authorized(xml: string, username: string, password: string): boolean {
  const user = tag(xml, 'Username');
  const digest = tag(xml, 'Password');
  const nonce = tag(xml, 'Nonce');
  const created = tag(xml, 'Created');
  if (user === undefined || digest === undefined || nonce === undefined || created === undefined) return false;
  if (user !== username) return false;
  const skew = Math.abs(Date.now() - Date.parse(created));
  if (!(skew < 5 * 60_000)) return false; // replay protection window
  const expected = createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest();
  const got = Buffer.from(digest, 'base64');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function dateTime(): string {
  const d = new Date();
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>' +
    '<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone><tt:UTCDateTime>' +
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>` +
    '</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

function profileXml(p: (typeof PROFILES)[number]): string {
  return (
    `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    '<tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>' +
    '<tt:SourceToken>VideoSource_1</tt:SourceToken><tt:Bounds x="0" y="0" width="768" height="576"/></tt:VideoSourceConfiguration>' +
    `<tt:VideoEncoderConfiguration token="VideoEncoderToken_${p.token}"><tt:Name>VideoEncoder_${p.name}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    '<tt:Quality>3</tt:Quality><tt:RateControl><tt:FrameRateLimit>10</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>' +
    '<tt:BitrateLimit>1024</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>10</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>' +
    '<tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>'
  );
}

function probeMatch(probe: string, urn: string, xaddr: string): string | undefined {
  if (!/<(?:\w+:)?Probe[\s>]/.test(probe)) return undefined;
  const types = tag(probe, 'Types');
  if (types !== undefined && types !== '' && !/NetworkVideoTransmitter/.test(types)) return undefined;
  const relatesTo = tag(probe, 'MessageID') ?? '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<SOAP-ENV:Header><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${relatesTo}</wsa:RelatesTo>` +
    '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>' +
    '<d:AppSequence InstanceId="1" MessageNumber="1"/></SOAP-ENV:Header>' +
    `<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>${urn}</wsa:Address></wsa:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter</d:Types>' +
    '<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/name/HIKVISION ' +
    'onvif://www.onvif.org/hardware/DS-2CD2T47G2-L onvif://www.onvif.org/location/city/streetwatch-test</d:Scopes>' +
    `<d:XAddrs>${xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export async function startOnvifSimulator(t: Teardown, opts: OnvifSimOptions): Promise<OnvifSimulator> {
  const urn = `urn:uuid:${randomUUID()}`;
  const path = '/onvif/device_service';
  const actions: string[] = [];
  const rejected: string[] = [];
  let base = '';

  const respond = (op: string): string | undefined => {
    switch (op) {
      case 'GetSystemDateAndTime':
        return dateTime();
      case 'GetServices':
        return (
          '<tds:GetServicesResponse>' +
          `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>` +
          `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace><tds:XAddr>${base}/onvif/Media</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>` +
          '</tds:GetServicesResponse>'
        );
      case 'GetCapabilities':
        return (
          `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base}${path}</tt:XAddr></tt:Device>` +
          `<tt:Media><tt:XAddr>${base}/onvif/Media</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
          '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>'
        );
      case 'GetDeviceInformation':
        return (
          '<tds:GetDeviceInformationResponse><tds:Manufacturer>HIKVISION</tds:Manufacturer><tds:Model>DS-2CD2T47G2-L</tds:Model>' +
          '<tds:FirmwareVersion>V5.7.3 build 220112</tds:FirmwareVersion><tds:SerialNumber>DS-2CD2T47G2-L20230101AACHSIM0001</tds:SerialNumber>' +
          '<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>'
        );
      case 'GetProfiles':
        return `<trt:GetProfilesResponse>${PROFILES.map(profileXml).join('')}</trt:GetProfilesResponse>`;
      case 'GetVideoSources':
        return (
          '<trt:GetVideoSourcesResponse><trt:VideoSources token="VideoSource_1"><tt:Framerate>10</tt:Framerate>' +
          '<tt:Resolution><tt:Width>768</tt:Width><tt:Height>576</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>'
        );
      default:
        return undefined;
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const send = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
      res.end(xml);
    };
    const op = action(body);
    if (req.method !== 'POST' || op === undefined) return send(400, fault('env:Sender', 'ter:WellFormed', 'Not a SOAP request'));
    actions.push(op);
    if (!PRE_AUTH.has(op) && !authorized(body, opts.username, opts.password)) {
      rejected.push(op);
      return send(400, fault('env:Sender', 'ter:NotAuthorized', 'Sender not Authorized'));
    }
    if (op === 'GetStreamUri') {
      const token = tag(body, 'ProfileToken');
      const p = PROFILES.find((x) => x.token === token);
      if (p === undefined) return send(400, fault('env:Sender', 'ter:InvalidArgVal', 'No such profile'));
      return send(
        200,
        envelope(
          `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${opts.streams[p.stream]}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
            '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>',
        ),
      );
    }
    const out = respond(op);
    if (out === undefined) return send(400, fault('env:Receiver', 'ter:ActionNotSupported', `${op} is not supported`));
    return send(200, envelope(out));
  };

  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  const xaddr = `${base}${path}`;

  const answer = (socket: Socket) => (msg: Buffer, rinfo: RemoteInfo) => {
    const reply = probeMatch(msg.toString('utf8'), urn, xaddr);
    if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address);
  };
  const sockets: Socket[] = [];
  const unicast = createSocket('udp4');
  unicast.on('message', answer(unicast));
  await new Promise<void>((resolve) => unicast.bind(0, '127.0.0.1', resolve));
  sockets.push(unicast);
  if (opts.multicast === true) {
    const mc = createSocket({ type: 'udp4', reuseAddr: true });
    mc.on('message', answer(mc));
    await new Promise<void>((resolve) => mc.bind(3702, resolve));
    mc.addMembership('239.255.255.250');
    sockets.push(mc);
  }

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      for (const s of sockets) s.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    })();
    return closed;
  };
  t.teardown(close);
  return { host: '127.0.0.1', port, path, xaddr, urn, discoveryPort: (unicast.address() as AddressInfo).port, actions, rejected, close };
}
