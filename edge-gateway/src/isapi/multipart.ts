/**
 * A streaming parser for the `multipart/mixed` body of Hikvision's alert stream: a response that
 * never ends, fed chunk by chunk, yielding each complete part (headers + body).
 *
 * Why our own: busboy / @fastify/busboy take multipart/form-data only (parts without a
 * Content-Disposition name are dropped) and meros assumes CRLF delimiters, while firmwares differ:
 * a bare LF after the delimiter, parts without Content-Length, a boundary parameter that already
 * carries the leading dashes (`boundary=--boundary`), noise before the first delimiter.
 *
 * - A part with Content-Length is taken by length (a JPEG may contain anything); without it the
 *   body runs to the next delimiter at the start of a line.
 * - Between parts anything that is not a delimiter line is skipped.
 * - A part larger than `maxPartBytes` is skipped (reported as a problem, never buffered whole);
 *   so is a part whose headers are unparseable. The stream goes on with the next delimiter.
 */

export interface Part {
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface PartProblem {
  readonly problem: 'too_large' | 'bad_headers';
  readonly detail: string;
}

export type ParseOutput = Part | PartProblem;

export function isPart(o: ParseOutput): o is Part {
  return 'body' in o;
}

/** The boundary parameter of a Content-Type (quotes stripped), or undefined. */
export function boundaryOf(contentType: string | null | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*boundary\s*=\s*("([^"]+)"|[^;\s]+)/i.exec(contentType);
  const b = m?.[2] ?? m?.[1];
  return b === undefined || b === '' ? undefined : b;
}

const MAX_HEADER_BYTES = 16 * 1024;

type State =
  | { kind: 'seek' }
  | { kind: 'headers' }
  | { kind: 'body'; headers: Record<string, string>; length: number | undefined }
  | { kind: 'skip'; left: number }
  | { kind: 'done' };

export class MultipartStreamParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'seek' };
  private readonly delimiters: Buffer[];
  private readonly longest: number;

  constructor(
    boundary: string,
    private readonly maxPartBytes = 8 * 1024 * 1024,
  ) {
    if (boundary === '') throw new RangeError('empty multipart boundary');
    // `boundary=--boundary` on some firmwares: accept the lines with and without the extra dashes.
    const spellings = new Set([`--${boundary}`]);
    if (boundary.startsWith('--')) spellings.add(boundary);
    this.delimiters = [...spellings].map((s) => Buffer.from(s, 'latin1'));
    this.longest = Math.max(...this.delimiters.map((d) => d.length));
  }

  /** True once the closing delimiter (`--boundary--`) was seen. */
  get ended(): boolean {
    return this.state.kind === 'done';
  }

  /** Bytes held waiting for the rest of a part. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): ParseOutput[] {
    if (this.state.kind === 'done') return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: ParseOutput[] = [];
    for (;;) {
      const progressed = this.step(out);
      if (!progressed) break;
    }
    return out;
  }

  private step(out: ParseOutput[]): boolean {
    const s = this.state;
    switch (s.kind) {
      case 'done':
        return false;
      case 'skip': {
        const n = Math.min(s.left, this.buf.length);
        this.buf = this.buf.subarray(n);
        if (n < s.left) {
          this.state = { kind: 'skip', left: s.left - n };
          return false;
        }
        this.state = { kind: 'seek' };
        return true;
      }
      case 'seek': {
        const d = this.findDelimiter(0);
        if (d === undefined) {
          // keep a tail that may hold the start of a delimiter
          const keep = this.longest + 2;
          if (this.buf.length > keep) this.buf = this.buf.subarray(this.buf.length - keep);
          return false;
        }
        // need the bytes after the delimiter: "--" (close), or the line end
        const after = d.at + d.len;
        if (this.buf.length < after + 2) {
          this.buf = this.buf.subarray(d.at);
          return false;
        }
        if (this.buf[after] === 0x2d && this.buf[after + 1] === 0x2d) {
          this.state = { kind: 'done' };
          this.buf = Buffer.alloc(0);
          return false;
        }
        const nl = this.buf.indexOf(0x0a, after);
        if (nl < 0) {
          if (this.buf.length - after > 256) this.buf = this.buf.subarray(after); // not a delimiter line: go on seeking
          return false;
        }
        this.buf = this.buf.subarray(nl + 1);
        this.state = { kind: 'headers' };
        return true;
      }
      case 'headers': {
        const end = headerEnd(this.buf);
        if (end === undefined) {
          if (this.buf.length > MAX_HEADER_BYTES) {
            out.push({ problem: 'bad_headers', detail: `no end of part headers within ${MAX_HEADER_BYTES} bytes` });
            this.buf = this.buf.subarray(this.buf.length - this.longest - 2);
            this.state = { kind: 'seek' };
            return true;
          }
          return false;
        }
        const text = this.buf.subarray(0, end.at).toString('latin1');
        this.buf = this.buf.subarray(end.at + end.len);
        const headers: Record<string, string> = {};
        for (const line of text.split(/\r?\n/)) {
          if (line.trim() === '') continue;
          const i = line.indexOf(':');
          if (i <= 0) {
            out.push({ problem: 'bad_headers', detail: `part header line without a name: ${JSON.stringify(line.slice(0, 80))}` });
            this.state = { kind: 'seek' };
            return true;
          }
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const cl = headers['content-length'];
        let length: number | undefined;
        if (cl !== undefined) {
          length = /^\d+$/.test(cl) ? Number(cl) : undefined;
          if (length === undefined) {
            out.push({ problem: 'bad_headers', detail: `Content-Length is not a number: ${JSON.stringify(cl.slice(0, 40))}` });
            this.state = { kind: 'seek' };
            return true;
          }
          if (length > this.maxPartBytes) {
            out.push({ problem: 'too_large', detail: `part of ${length} bytes (Content-Length) > maxPartBytes ${this.maxPartBytes}` });
            this.state = { kind: 'skip', left: length };
            return true;
          }
        }
        this.state = { kind: 'body', headers, length };
        return true;
      }
      case 'body': {
        if (s.length !== undefined) {
          if (this.buf.length < s.length) return false;
          out.push({ headers: s.headers, body: Buffer.from(this.buf.subarray(0, s.length)) });
          this.buf = this.buf.subarray(s.length);
          this.state = { kind: 'seek' };
          return true;
        }
        const d = this.findDelimiter(0);
        if (d === undefined) {
          if (this.buf.length > this.maxPartBytes) {
            out.push({ problem: 'too_large', detail: `part without Content-Length longer than maxPartBytes ${this.maxPartBytes}` });
            this.buf = this.buf.subarray(this.buf.length - this.longest - 2);
            this.state = { kind: 'seek' };
            return true;
          }
          return false;
        }
        let end = d.at;
        if (end > 0 && this.buf[end - 1] === 0x0a) end--;
        if (end > 0 && this.buf[end - 1] === 0x0d) end--;
        out.push({ headers: s.headers, body: Buffer.from(this.buf.subarray(0, end)) });
        this.buf = this.buf.subarray(d.at);
        this.state = { kind: 'seek' };
        return true;
      }
    }
  }

  /** The first delimiter at the start of a line (or of the buffer) from `from`. */
  private findDelimiter(from: number): { at: number; len: number } | undefined {
    let best: { at: number; len: number } | undefined;
    for (const d of this.delimiters) {
      let i = this.buf.indexOf(d, from);
      while (i >= 0 && i > 0 && this.buf[i - 1] !== 0x0a) i = this.buf.indexOf(d, i + 1);
      if (i >= 0 && (best === undefined || i < best.at || (i === best.at && d.length > best.len))) best = { at: i, len: d.length };
    }
    return best;
  }
}

/** End of the header block: an empty line (CRLF CRLF, or bare LF LF), or a header block that is empty. */
function headerEnd(buf: Buffer): { at: number; len: number } | undefined {
  // no headers at all: the body follows an empty line at once
  if (buf[0] === 0x0a) return { at: 0, len: 1 };
  if (buf[0] === 0x0d && buf[1] === 0x0a) return { at: 0, len: 2 };
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return undefined;
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { at: lf, len: 2 };
  return { at: crlf, len: 4 };
}
