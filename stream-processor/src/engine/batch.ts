import type { KafkaMessage } from 'kafkajs';

/**
 * The values of one Kafka batch packed into a single buffer, so they cross to an engine worker
 * thread by transfer (no per-message copy or structured clone): value i is
 * `data[start_i, start_i + lengths[i])`, where start_i is the sum of the earlier non-null lengths;
 * a length of -1 is a null value (a tombstone).
 */
export interface RawBatch {
  readonly data: Uint8Array;
  readonly lengths: Int32Array;
}

export function packBatch(messages: readonly KafkaMessage[], from = 0): RawBatch {
  let total = 0;
  for (let i = from; i < messages.length; i++) total += (messages[i] as KafkaMessage).value?.length ?? 0;
  // Its own ArrayBuffer (not the pool's), so it can be transferred.
  const data = new Uint8Array(new ArrayBuffer(total));
  const lengths = new Int32Array(messages.length - from);
  let at = 0;
  for (let i = from; i < messages.length; i++) {
    const v = (messages[i] as KafkaMessage).value;
    if (v === null) {
      lengths[i - from] = -1;
      continue;
    }
    data.set(v, at);
    at += v.length;
    lengths[i - from] = v.length;
  }
  return { data, lengths };
}

/** The buffers to hand to `postMessage` as its transfer list. */
export function transferList(b: RawBatch): ArrayBuffer[] {
  return [b.data.buffer as ArrayBuffer, b.lengths.buffer as ArrayBuffer];
}

/** Each value as a Buffer view (no copy), null for tombstones. */
export function* unpackBatch(b: RawBatch): Generator<Buffer | null> {
  const buf = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  let at = 0;
  for (const len of b.lengths) {
    if (len < 0) {
      yield null;
      continue;
    }
    yield buf.subarray(at, at + len);
    at += len;
  }
}
