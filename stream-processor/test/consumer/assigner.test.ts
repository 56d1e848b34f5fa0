import t from 'tap';
import kafkajs from 'kafkajs';
import { CoPartitionAssigner, tasksOf } from '../../src/consumer/assigner.js';

const { AssignerProtocol } = kafkajs;

t.test('partition N of every topic goes to the same member, tasks dealt round-robin', async (t) => {
  const partitions: Record<string, number> = { det: 6, health: 3, insp: 3, shop: 3 };
  const cluster = {
    findTopicPartitionMetadata: (topic: string) => Array.from({ length: partitions[topic] ?? 0 }, (_, i) => ({ partitionId: i })),
  };
  const assigner = CoPartitionAssigner({ cluster } as never);
  const members = [{ memberId: 'm-b', memberMetadata: Buffer.alloc(0) }, { memberId: 'm-a', memberMetadata: Buffer.alloc(0) }];
  const result = await assigner.assign({ members, topics: Object.keys(partitions) });
  const decoded = Object.fromEntries(
    result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment ?? {}]),
  );
  t.same([...tasksOf(decoded['m-a'] ?? {})].sort(), [0, 2, 4]);
  t.same([...tasksOf(decoded['m-b'] ?? {})].sort(), [1, 3, 5]);
  t.same(decoded['m-a'], { det: [0, 2, 4], health: [0, 2], insp: [0, 2], shop: [0, 2] }, 'inspections 2 and shop 2 together');
  const solo = await assigner.assign({ members: [members[0]!], topics: Object.keys(partitions) });
  t.same(tasksOf(AssignerProtocol.MemberAssignment.decode(solo[0]!.memberAssignment)?.assignment ?? {}).size, 6);
});
