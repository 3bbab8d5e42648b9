// Waits until the brokers at argv[2] (host:port,...) acknowledge a produce with acks=all to a topic
// replicated on up to three of them, and the cluster lists argv[5] brokers (default 1). argv[3] =
// timeout in s; argv[4] = the nodes' PIDs, comma-separated, to give up at once if one dies, e.g. on
// a port already in use. Plain JS so the broker scripts need nothing compiled; exits 0 when ready,
// 1 otherwise.
import { Kafka, logLevel } from 'kafkajs';

const [brokerList, timeoutSeconds = '90', pidList, expected = '1'] = process.argv.slice(2);
const brokers = brokerList.split(',');
const expectedBrokers = Number(expected);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const topic = '__broker_probe';
const kafka = new Kafka({
  clientId: 'broker-probe',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});

async function tryOnce() {
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await admin.connect();
    // A restarted node counts once it has registered again, not when the others answer for it.
    if ((await admin.describeCluster()).brokers.length < expectedBrokers) return false;
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: Math.min(3, expectedBrokers) }],
        waitForLeaders: true,
      });
    }
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: new Date().toISOString() }] });
    // Readers join consumer groups; on a fresh broker the group coordinator loads lazily, so wait for one join too.
    await joinGroup();
    return true;
  } catch {
    return false;
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

async function joinGroup() {
  const consumer = kafka.consumer({ groupId: `broker-probe-${Date.now()}`, retry: { retries: 0 } });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await new Promise((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, resolve);
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer.run({ eachMessage: async () => {} }).catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}

const started = Date.now();
function deadBroker() {
  return (pidList ?? '')
    .split(',')
    .filter(Boolean)
    .find((pid) => {
      try {
        process.kill(Number(pid), 0);
        return false;
      } catch {
        return true;
      }
    });
}

while (Date.now() < deadline) {
  const dead = deadBroker();
  if (dead !== undefined) {
    console.error(`[kafka] broker process ${dead} exited before the cluster accepted a produce`);
    process.exit(1);
  }
  if (await tryOnce()) {
    console.error(`[kafka] ${brokerList} accepted a produce after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exit(0);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
process.exit(1);
