/**
 * A Hikvision camera's ISAPI event service, written from Hikvision's ISAPI documentation and the
 * streams real cameras send (as recorded in public client code): a real HTTP server on loopback
 * with digest authentication (RFC 7616: MD5, qop="auth", realm "IP Camera(C0001)", nonces it
 * issued) serving `GET /ISAPI/Event/notification/alertStream` as a never-ending
 * `multipart/mixed; boundary=boundary` response:
 *
 *   --boundary\r\n
 *   Content-Type: application/xml; charset="UTF-8"\r\n
 *   Content-Length: 480\r\n
 *   \r\n
 *   <EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">...\r\n
 *   --boundary\r\n
 *   Content-Type: image/jpeg\r\n  (the event's picture, on smart events)
 *   ...
 *
 * with a heartbeat part (videoloss / inactive / activePostCount 0) every `heartbeatMs`. The test
 * drives it: send alerts and pictures, send garbage, drop the connections, stall them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface AlertFields {
  eventType: string;
  eventState?: 'active' | 'inactive';
  channelID?: number;
  dateTime?: string;
  activePostCount?: number;
  eventDescription?: string;
  /** Regions on the camera's 0-1000 grid: [[x, y], ...] per region. */
  regions?: { id: number; targetType?: string; points: [number, number][] }[];
}

export interface SimulatorOptions {
  username: string;
  password: string;
  realm?: string;
  /** 0: no heartbeats. */
  heartbeatMs?: number;
  /** Line ending after the delimiter (some firmwares send a bare LF). */
  delimiterEnding?: '\r\n' | '\n';
  mac?: string;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function alertXml(f: AlertFields, ip = '192.168.1.64', mac = '44:47:cc:11:22:33'): string {
  const regions =
    f.regions === undefined
      ? ''
      : `<DetectionRegionList>${f.regions
          .map(
            (r) =>
              `<DetectionRegionEntry><regionID>${r.id}</regionID><sensitivityLevel>50</sensitivityLevel>${r.targetType !== undefined ? `<targetType>${r.targetType}</targetType>` : ''}<RegionCoordinatesList>${r.points
                .map(([x, y]) => `<RegionCoordinates><positionX>${x}</positionX><positionY>${y}</positionY></RegionCoordinates>`)
                .join('')}</RegionCoordinatesList></DetectionRegionEntry>`,
          )
          .join('')}</DetectionRegionList>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\r\n<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">\r\n` +
    `<ipAddress>${ip}</ipAddress>\r\n<portNo>80</portNo>\r\n<protocol>HTTP</protocol>\r\n<macAddress>${mac}</macAddress>\r\n` +
    `<channelID>${f.channelID ?? 1}</channelID>\r\n<dateTime>${f.dateTime ?? new Date().toISOString().replace(/\.\d+Z$/, '+00:00')}</dateTime>\r\n` +
    `<activePostCount>${f.activePostCount ?? 1}</activePostCount>\r\n<eventType>${f.eventType}</eventType>\r\n` +
    `<eventState>${f.eventState ?? 'active'}</eventState>\r\n<eventDescription>${f.eventDescription ?? `${f.eventType} alarm`}</eventDescription>\r\n` +
    `${regions}</EventNotificationAlert>\r\n`
  );
}

export const HEARTBEAT: AlertFields = { eventType: 'videoloss', eventState: 'inactive', activePostCount: 0, eventDescription: 'videoloss alarm' };

export class IsapiCameraSimulator {
  private readonly server = createServer((req, res) => this.handle(req, res));
  private readonly streams = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly nonces = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private stalled = false;
  port = 0;
  /** Authorised alert streams opened so far. */
  streamsOpened = 0;
  /** Challenges sent (401 without a valid Authorization). */
  challenges = 0;
  /** Requests whose digest answer was wrong. */
  rejected = 0;

  private constructor(private readonly opts: SimulatorOptions) {
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: SimulatorOptions): Promise<IsapiCameraSimulator> {
    const sim = new IsapiCameraSimulator(opts);
    await new Promise<void>((resolve) => sim.server.listen(0, '127.0.0.1', resolve));
    sim.port = (sim.server.address() as AddressInfo).port;
    if ((opts.heartbeatMs ?? 0) > 0) {
      sim.heartbeat = setInterval(() => {
        if (!sim.stalled) sim.sendAlert(HEARTBEAT);
      }, opts.heartbeatMs);
    }
    return sim;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private get realm(): string {
    return this.opts.realm ?? 'IP Camera(C0001)';
  }

  private challenge(res: ServerResponse): void {
    this.challenges++;
    const nonce = randomBytes(16).toString('hex');
    this.nonces.add(nonce);
    res.writeHead(401, {
      'www-authenticate': `Digest qop="auth", realm="${this.realm}", nonce="${nonce}", stale="FALSE"`,
      'content-type': 'application/xml; charset="UTF-8"',
    });
    res.end('<?xml version="1.0" encoding="UTF-8"?>\r\n<userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString></userCheck>\r\n');
  }

  private authorised(req: IncomingMessage): boolean | undefined {
    const h = req.headers.authorization;
    if (h === undefined || !/^Digest\s/i.test(h)) return undefined;
    const p: Record<string, string> = {};
    for (const m of h.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[(m[1] as string).toLowerCase()] = m[2] ?? m[3] ?? '';
    if (p.username !== this.opts.username || p.realm !== this.realm || !this.nonces.has(p.nonce ?? '') || p.uri !== req.url) return false;
    const ha1 = md5(`${this.opts.username}:${this.realm}:${this.opts.password}`);
    const ha2 = md5(`${req.method}:${p.uri}`);
    const expected = p.qop === 'auth' ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
    return expected === p.response;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const ok = this.authorised(req);
    if (ok !== true) {
      if (ok === false) this.rejected++;
      this.challenge(res);
      return;
    }
    if (req.method !== 'GET' || req.url !== '/ISAPI/Event/notification/alertStream') {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<ResponseStatus><statusCode>4</statusCode><subStatusCode>notSupport</subStatusCode></ResponseStatus>');
      return;
    }
    this.streamsOpened++;
    res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=boundary', connection: 'keep-alive' });
    res.flushHeaders();
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  private write(data: Buffer): void {
    for (const s of this.streams) s.write(data);
  }

  /** One part to every open stream (`length: false`: no Content-Length header). */
  sendPart(contentType: string, body: Buffer | string, opts: { length?: boolean } = {}): void {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    const end = this.opts.delimiterEnding ?? '\r\n';
    const head = `--boundary${end}Content-Type: ${contentType}\r\n${opts.length === false ? '' : `Content-Length: ${b.length}\r\n`}\r\n`;
    this.write(Buffer.concat([Buffer.from(head), b, Buffer.from('\r\n')]));
  }

  sendAlert(f: AlertFields): void {
    this.sendPart('application/xml; charset="UTF-8"', alertXml(f, '127.0.0.1', this.opts.mac));
  }

  /** The JSON form newer firmwares send. */
  sendJsonAlert(f: AlertFields): void {
    const body = {
      ipAddress: '127.0.0.1',
      portNo: 80,
      protocol: 'HTTP',
      macAddress: this.opts.mac ?? '44:47:cc:11:22:33',
      channelID: f.channelID ?? 1,
      dateTime: f.dateTime ?? new Date().toISOString(),
      activePostCount: f.activePostCount ?? 1,
      eventType: f.eventType,
      eventState: f.eventState ?? 'active',
      eventDescription: f.eventDescription ?? `${f.eventType} alarm`,
      ...(f.regions !== undefined && {
        DetectionRegionList: f.regions.map((r) => ({
          regionID: String(r.id),
          ...(r.targetType !== undefined && { targetType: r.targetType }),
          RegionCoordinatesList: r.points.map(([x, y]) => ({ positionX: x, positionY: y })),
        })),
      }),
    };
    this.sendPart('application/json; charset="UTF-8"', JSON.stringify(body));
  }

  sendPicture(jpeg: Buffer): void {
    this.sendPart('image/jpeg', jpeg);
  }

  sendRaw(data: Buffer | string): void {
    this.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Cut every connection (a reboot, a switch flap). */
  drop(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Keep the connections open but send nothing (heartbeats included) until resume(). */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
