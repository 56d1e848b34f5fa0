/**
 * The live camera view's wire contract between an edge gateway and the alert router: one
 * WebSocket the gateway opens OUTBOUND to the router (`/live/gateway`, sub-protocol
 * `streetwatch-live.v1`), authenticated as that gateway. The box is never reachable from a
 * browser; the router relays.
 *
 *  - text frames: JSON control messages, validated on receipt (a bad one is logged, counted and
 *    dropped; the link stays up);
 *  - binary frames, gateway → router only: one chunk of a camera's MPEG-TS (MPEG-1 video)
 *    stream: `[version=1][flags][idLength][cameraId utf8][TS bytes]`; flag bit 0 = the chunk
 *    begins a group of pictures (its first TS packet carries an MPEG-1 sequence header), so a
 *    viewer who joins or falls behind can start decoding there.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Id } from './messages/common.js';

export const LIVE_SUBPROTOCOL = 'streetwatch-live.v1';

/** Gateway → router, first message after the socket opens: who it is and which cameras it can show. */
export const LiveHello = Type.Object(
  {
    type: Type.Literal('hello'),
    gatewayId: Id,
    cameras: Type.Array(Id, { maxItems: 1024, uniqueItems: true }),
    maxStreams: Type.Integer({ minimum: 0, maximum: 1024 }),
  },
  { additionalProperties: false },
);

export const LIVE_STREAM_STATES = ['starting', 'streaming', 'stopped', 'refused', 'failed'] as const;
export type LiveStreamState = (typeof LIVE_STREAM_STATES)[number];

/** Gateway → router: what became of a camera's stream (refused: the box's limit; failed: ffmpeg/camera). */
export const LiveState = Type.Object(
  {
    type: Type.Literal('state'),
    cameraId: Id,
    state: Type.Union(LIVE_STREAM_STATES.map((s) => Type.Literal(s))),
    code: Type.Optional(Type.String({ maxLength: 64, pattern: '^SW_[A-Z0-9_]+$' })),
    message: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** Router → gateway: how many people watch a camera now (0: nobody; the box stops after its idle time). */
export const LiveWatch = Type.Object(
  {
    type: Type.Literal('watch'),
    cameraId: Id,
    viewers: Type.Integer({ minimum: 0, maximum: 100_000 }),
  },
  { additionalProperties: false },
);

export const LiveFromGateway = Type.Union([LiveHello, LiveState]);
export const LiveFromRouter = LiveWatch;
export type LiveHello = Static<typeof LiveHello>;
export type LiveState = Static<typeof LiveState>;
export type LiveWatch = Static<typeof LiveWatch>;
export type LiveFromGateway = Static<typeof LiveFromGateway>;
export type LiveFromRouter = Static<typeof LiveFromRouter>;

const fromGateway = TypeCompiler.Compile(LiveFromGateway);
const fromRouter = TypeCompiler.Compile(LiveFromRouter);

export type LiveParse<T> = { ok: true; value: T } | { ok: false; problem: string };

function parseWith<T>(check: { Check(v: unknown): boolean; Errors(v: unknown): Iterable<{ path: string; message: string }> }, text: string): LiveParse<T> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  if (check.Check(v)) return { ok: true, value: v as T };
  const first = [...check.Errors(v)][0];
  return { ok: false, problem: first ? `${first.path || '/'}: ${first.message}` : 'invalid' };
}

/** A control message from a gateway (text frame), checked against the contract. */
export function parseLiveFromGateway(text: string): LiveParse<LiveFromGateway> {
  return parseWith(fromGateway, text);
}

/** A control message from the router (text frame), checked against the contract. */
export function parseLiveFromRouter(text: string): LiveParse<LiveFromRouter> {
  return parseWith(fromRouter, text);
}

export const LIVE_CHUNK_VERSION = 1;
export const LIVE_FLAG_KEY = 1;

/** One binary frame: a chunk of a camera's MPEG-TS stream. */
export function encodeLiveChunk(cameraId: string, ts: Buffer, key: boolean): Buffer {
  const id = Buffer.from(cameraId, 'utf8');
  if (id.length === 0 || id.length > 255) throw new RangeError(`camera id must be 1-255 bytes, got ${id.length}`);
  const head = Buffer.from([LIVE_CHUNK_VERSION, key ? LIVE_FLAG_KEY : 0, id.length]);
  return Buffer.concat([head, id, ts]);
}

export interface LiveChunk {
  readonly cameraId: string;
  readonly key: boolean;
  /** The TS bytes (a view into the frame). */
  readonly ts: Buffer;
}

/** The chunk in a binary frame, or a problem (wrong version, truncated). */
export function decodeLiveChunk(frame: Buffer): LiveParse<LiveChunk> {
  if (frame.length < 4) return { ok: false, problem: 'frame shorter than its header' };
  if (frame[0] !== LIVE_CHUNK_VERSION) return { ok: false, problem: `unknown chunk version ${frame[0]}` };
  const idLen = frame[2] as number;
  if (idLen === 0 || frame.length < 3 + idLen) return { ok: false, problem: 'truncated camera id' };
  return {
    ok: true,
    value: { cameraId: frame.subarray(3, 3 + idLen).toString('utf8'), key: ((frame[1] as number) & LIVE_FLAG_KEY) !== 0, ts: frame.subarray(3 + idLen) },
  };
}
