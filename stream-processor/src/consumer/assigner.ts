import kafkajs, { type Assigner, type PartitionAssigner } from 'kafkajs';

const { AssignerProtocol } = kafkajs;

/**
 * Co-partitioning assignment: partition N of every subscribed topic goes to the same member, so a
 * task (partition number N) sees all of its inputs: detections N, camera health N, inspections N
 * and the shop repartition topic N. Tasks are dealt round-robin over members sorted by id, the
 * way Kafka Streams places tasks. Every member must use this assigner (its name is the protocol).
 */
export const CoPartitionAssigner: PartitionAssigner = ({ cluster }) => {
  const assigner: Assigner = {
    name: 'StreetwatchCoPartition',
    version: 1,
    async assign({ members, topics }) {
      const sorted = members.map((m) => m.memberId).sort();
      const byMember = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
      const tasks = new Set<number>();
      const partitionsOf = new Map<string, number[]>();
      for (const topic of topics) {
        const ps = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
        partitionsOf.set(topic, ps);
        for (const p of ps) tasks.add(p);
      }
      const ordered = [...tasks].sort((a, b) => a - b);
      ordered.forEach((task, i) => {
        const member = sorted[i % sorted.length] as string;
        const a = byMember.get(member) as Record<string, number[]>;
        for (const [topic, ps] of partitionsOf) if (ps.includes(task)) (a[topic] ??= []).push(task);
      });
      return sorted.map((memberId) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: assigner.version,
          assignment: byMember.get(memberId) ?? {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: assigner.name,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: assigner.version, topics, userData: Buffer.alloc(0) }),
      };
    },
  };
  return assigner;
};

/** Which tasks (partition numbers) an assignment `{topic: partitions}` gives this member. */
export function tasksOf(assignment: Readonly<Record<string, readonly number[]>>): Set<number> {
  const out = new Set<number>();
  for (const ps of Object.values(assignment)) for (const p of ps) out.add(p);
  return out;
}
