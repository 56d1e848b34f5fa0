/**
 * One `EventNotificationAlert` of the ISAPI alert stream, from its XML (most firmwares) or JSON
 * (newer ones) part. Element names as Hikvision sends them:
 *
 *   <EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
 *     <ipAddress/> <portNo/> <protocol/> <macAddress/>
 *     <channelID>1</channelID> [<dynChannelID>7</dynChannelID> on an NVR: the channel users see]
 *     <dateTime>2024-05-01T12:36:00+08:00</dateTime>
 *     <activePostCount>1</activePostCount>
 *     <eventType>parking | regionEntrance | unattendedBaggage | linedetection | fielddetection | VMD | videoloss ...</eventType>
 *     <eventState>active | inactive</eventState>
 *     <eventDescription/>
 *     <DetectionRegionList><DetectionRegionEntry>            (also DetectionRegion)
 *       <regionID>1</regionID> [<targetType>vehicle</targetType>]
 *       <RegionCoordinatesList><RegionCoordinates><positionX>100</positionX><positionY>250</positionY>...
 *   </EventNotificationAlert>
 *
 * Coordinates are on a 0-1000 grid. The idle heartbeat is `videoloss` / `inactive` (activePostCount
 * 0, no region); a real video loss is `videoloss` / `active`.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface RegionPoint {
  /** 0..1, origin top-left (converted from the camera's 0-1000 grid). */
  readonly x: number;
  readonly y: number;
}

export interface AlertRegion {
  readonly id?: string;
  readonly targetType?: string;
  readonly points: readonly RegionPoint[];
}

export interface IsapiAlert {
  readonly eventType: string;
  readonly active: boolean;
  /** dynChannelID when present (NVR), else channelID. */
  readonly channel?: number;
  /** The camera's event time; undefined when absent or without a usable time zone. */
  readonly dateTime?: Date;
  readonly activePostCount?: number;
  readonly description?: string;
  readonly regions: readonly AlertRegion[];
  /** The XML document's version attribute, or 'json'. */
  readonly version: string;
  /** The idle keep-alive (videoloss/inactive): not an event. */
  readonly heartbeat: boolean;
}

export class AlertParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertParseError';
  }
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['DetectionRegionEntry', 'DetectionRegion', 'RegionCoordinates'].includes(name),
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isObj(v) && typeof v['#text'] === 'string') return str(v['#text']);
  return undefined;
}

function int(v: unknown): number | undefined {
  const s = str(v);
  return s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** RFC 3339 with an offset; tolerates one-digit hour offsets (`-8:00`, seen on old firmware). No offset: undefined (camera local time, unknown zone). */
export function parseCameraTime(s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{1,2}:?\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  let off = m[2] as string;
  if (off !== 'Z') {
    const o = /^([+-])(\d{1,2}):?(\d{2})$/.exec(off);
    if (!o) return undefined;
    off = `${o[1]}${(o[2] as string).padStart(2, '0')}:${o[3]}`;
  }
  const d = new Date(`${m[1]}${off}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function toArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function regionsOf(root: Obj, origin: 'bottom-left' | 'top-left'): AlertRegion[] {
  const list = root['DetectionRegionList'];
  const entries: unknown[] = [];
  if (Array.isArray(list)) entries.push(...list);
  else if (isObj(list)) entries.push(...toArray(list['DetectionRegionEntry']), ...toArray(list['DetectionRegion']));
  const out: AlertRegion[] = [];
  for (const raw of entries) {
    const e = isObj(raw) && isObj(raw['DetectionRegionEntry']) ? raw['DetectionRegionEntry'] : raw;
    if (!isObj(e)) continue;
    const coordsList = e['RegionCoordinatesList'];
    const coords = Array.isArray(coordsList) ? coordsList : isObj(coordsList) ? toArray(coordsList['RegionCoordinates']) : [];
    const points: RegionPoint[] = [];
    for (const c of coords) {
      const p = isObj(c) && isObj(c['RegionCoordinates']) ? c['RegionCoordinates'] : c;
      if (!isObj(p)) continue;
      const x = Number(str(p['positionX']));
      const y = Number(str(p['positionY']));
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const nx = Math.min(1, Math.max(0, x / 1000));
      const ny = Math.min(1, Math.max(0, y / 1000));
      points.push({ x: nx, y: origin === 'bottom-left' ? 1 - ny : ny });
    }
    const id = str(e['regionID']);
    const targetType = str(e['targetType']) ?? str(e['detectionTarget']);
    out.push({ ...(id !== undefined && { id }), ...(targetType !== undefined && { targetType }), points });
  }
  return out;
}

function alertOf(root: Obj, version: string, origin: 'bottom-left' | 'top-left'): IsapiAlert {
  const eventType = str(root['eventType']);
  if (eventType === undefined) throw new AlertParseError('EventNotificationAlert without eventType');
  const state = str(root['eventState'])?.toLowerCase();
  if (state !== 'active' && state !== 'inactive') throw new AlertParseError(`eventState must be active or inactive, got ${JSON.stringify(state ?? null)}`);
  const channel = int(root['dynChannelID']) ?? int(root['channelID']);
  const dateTime = parseCameraTime(str(root['dateTime']));
  const activePostCount = int(root['activePostCount']);
  const description = str(root['eventDescription']);
  const regions = regionsOf(root, origin);
  const heartbeat = eventType.toLowerCase() === 'videoloss' && state === 'inactive';
  return {
    eventType,
    active: state === 'active',
    ...(channel !== undefined && { channel }),
    ...(dateTime !== undefined && { dateTime }),
    ...(activePostCount !== undefined && { activePostCount }),
    ...(description !== undefined && { description }),
    regions,
    version,
    heartbeat,
  };
}

/**
 * Parse one part's body. `contentType` chooses JSON (application/json) or XML (anything else
 * that is not a picture). Throws AlertParseError with what is wrong.
 */
export function parseAlert(contentType: string | undefined, body: Buffer, origin: 'bottom-left' | 'top-left' = 'bottom-left'): IsapiAlert {
  const text = body.toString('utf8').replace(/^\uFEFF/, '').trim();
  if (text === '') throw new AlertParseError('empty part');
  const json = /json/i.test(contentType ?? '') || text.startsWith('{');
  if (json) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new AlertParseError(`invalid JSON: ${(e as Error).message}`);
    }
    const root = isObj(v) && isObj(v['EventNotificationAlert']) ? v['EventNotificationAlert'] : v;
    if (!isObj(root)) throw new AlertParseError('JSON part is not an object');
    return alertOf(root, 'json', origin);
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new AlertParseError(`invalid XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = xml.parse(text) as Obj;
  const root = doc['EventNotificationAlert'];
  if (!isObj(root)) throw new AlertParseError(`XML part is not an EventNotificationAlert (root: ${Object.keys(doc).filter((k) => k !== '?xml').join(', ') || 'none'})`);
  return alertOf(root, str(root['@version']) ?? 'xml', origin);
}

/** Bounding box of all region points (normalized), or the whole frame when the alert has none. */
export function regionBox(a: IsapiAlert): { x: number; y: number; w: number; h: number } {
  const pts = a.regions.flatMap((r) => r.points);
  if (pts.length === 0) return { x: 0, y: 0, w: 1, h: 1 };
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}
