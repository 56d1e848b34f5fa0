/**
 * ffmpeg writes its MPEG-TS to the pipe in chunks of any size. The relay wants whole 188-byte
 * TS packets per chunk, and to know which chunk begins a group of pictures (an MPEG-1 sequence
 * header, start code 00 00 01 B3, which mpeg1video writes before every GOP): a viewer joining a
 * running stream, or one that fell behind, is sent data from there, so its decoder starts on a
 * complete picture instead of waiting for the next one.
 */
export const TS_PACKET = 188;
const SYNC = 0x47;

/** Does this TS packet start a PES payload that holds an MPEG-1 sequence header? */
export function packetStartsGop(p: Buffer, at: number): boolean {
  const payloadStart = ((p[at + 1] as number) & 0x40) !== 0;
  if (!payloadStart) return false;
  const afc = ((p[at + 3] as number) >> 4) & 0x3;
  if ((afc & 0x1) === 0) return false; // no payload
  let i = at + 4;
  if (afc & 0x2) i += 1 + (p[at + 4] as number);
  const end = at + TS_PACKET - 3;
  for (; i < end; i++) {
    if (p[i] === 0 && p[i + 1] === 0 && p[i + 2] === 1 && p[i + 3] === 0xb3) return true;
  }
  return false;
}

/**
 * Re-chunks a TS byte stream into runs of whole packets, cut before each packet that starts a
 * GOP (that chunk is `key`). The packets before the first GOP (the muxer's PAT/PMT) go out with
 * it, so the stream's first chunk is a key chunk. Bytes before the first sync byte are skipped.
 */
export class TsChunker {
  private rest: Buffer = Buffer.alloc(0);
  private head: Buffer[] = [];
  private headBytes = 0;
  private seenKey = false;

  constructor(
    private readonly emit: (chunk: Buffer, key: boolean) => void,
    /** Bytes kept before the first GOP at most (a stream that never starts one is not buffered without bound). */
    private readonly maxHeadBytes = 256 * 1024,
  ) {}

  push(data: Buffer): void {
    let buf = this.rest.length > 0 ? Buffer.concat([this.rest, data]) : data;
    // Find the packet boundary (a stream always starts on one; stay robust anyway).
    let start = 0;
    while (start < buf.length && buf[start] !== SYNC) start++;
    if (start > 0) buf = buf.subarray(start);
    const whole = buf.length - (buf.length % TS_PACKET);
    let from = 0;
    let key = false;
    for (let at = 0; at < whole; at += TS_PACKET) {
      if (buf[at] !== SYNC || !packetStartsGop(buf, at)) continue; // a corrupt packet passes through; the decoder resyncs
      if (!this.seenKey) {
        this.seenKey = true; // what came before goes out with this first group
        key = true;
        continue;
      }
      if (at > from) this.out(buf.subarray(from, at), key);
      from = at;
      key = true;
    }
    if (whole > from) this.out(buf.subarray(from, whole), key);
    this.rest = Buffer.from(buf.subarray(whole));
  }

  private out(bytes: Buffer, key: boolean): void {
    if (!this.seenKey) {
      if (this.headBytes + bytes.length <= this.maxHeadBytes) {
        this.head.push(Buffer.from(bytes));
        this.headBytes += bytes.length;
      }
      return;
    }
    if (this.head.length > 0) {
      const chunk = Buffer.concat([...this.head, bytes]);
      this.head = [];
      this.headBytes = 0;
      this.emit(chunk, true);
      return;
    }
    this.emit(Buffer.from(bytes), key);
  }
}
