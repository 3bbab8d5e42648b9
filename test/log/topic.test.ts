import { describe, expect, it } from 'vitest';
import { durabilityWarnings } from '../../src/log/topic.js';

const sound = { topic: 'certificates', brokers: 3, replicas: 3, minInsyncReplicas: 2, uncleanLeaderElection: false };

describe('durabilityWarnings: where a topic lets acknowledged certificates be lost', () => {
  it('says nothing of replication 3 with min.insync.replicas 2 and clean elections, nor of the one local broker', () => {
    expect(durabilityWarnings(sound)).toEqual([]);
    expect(durabilityWarnings({ ...sound, brokers: 1, replicas: 1, minInsyncReplicas: 1 })).toEqual([]);
  });

  it('warns of fewer than 3 replicas on a cluster of 3 or more brokers, naming both numbers', () => {
    expect(durabilityWarnings({ ...sound, brokers: 5, replicas: 2 })).toEqual([
      expect.stringContaining('replication factor 2 on a cluster of 5 brokers'),
    ]);
  });

  it('warns of min.insync.replicas below 2 on 3 replicas, and of unclean leader election, each once', () => {
    expect(durabilityWarnings({ ...sound, minInsyncReplicas: 1, uncleanLeaderElection: true })).toEqual([
      expect.stringContaining('min.insync.replicas=1'),
      expect.stringContaining('unclean.leader.election.enable=true'),
    ]);
  });
});
