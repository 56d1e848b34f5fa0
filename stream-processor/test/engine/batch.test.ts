import t from 'tap';
import type { KafkaMessage } from 'kafkajs';
import { packBatch, transferList, unpackBatch } from '../../src/engine/batch.js';

const msg = (value: string | null): KafkaMessage =>
  ({ key: null, value: value === null ? null : Buffer.from(value), offset: '0', timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

t.test('a packed batch gives back every value in order, tombstones as null', async (t) => {
  const values = ['{"a":1}', null, '', '{"b":"地址"}', 'x'.repeat(5000)];
  const b = packBatch(values.map(msg));
  t.same([...unpackBatch(b)].map((v) => (v === null ? null : v.toString('utf8'))), values);
});

t.test('packing from an index leaves out the head of the batch', async (t) => {
  const b = packBatch(['skip', 'keep-1', 'keep-2'].map(msg), 1);
  t.same([...unpackBatch(b)].map((v) => v?.toString()), ['keep-1', 'keep-2']);
});

t.test('the packed buffers are their own, so they can be transferred to a worker', async (t) => {
  const b = packBatch(['{"a":1}'].map(msg));
  const [data, lengths] = transferList(b);
  t.equal(data?.byteLength, b.data.byteLength, 'not a view on a shared pool');
  t.equal(lengths?.byteLength, 4);
  structuredClone(b, { transfer: transferList(b) });
  t.equal(b.data.byteLength, 0, 'detached after the transfer');
});
