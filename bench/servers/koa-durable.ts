import { Batcher } from '../../src/actors/batcher.js';
import { groupCommit } from '../../src/actors/log-writer.js';
import { certificateRecord, type CertificateRecord } from '../../src/core/certificate.js';
import { encodeRecords } from '../../src/core/record-format.js';
import { benchLedger } from '../lib/kafka.js';
import { serveKoa } from './koa-app.js';

// Bare Koa that answers only once the request's record is in Kafka, written as the service writes:
// its group commit (one write in flight, small writes wait a few turns) and its own produce path,
// acks=all. No actor, no numbering, no validation, no state: what the durable write alone costs an
// edge on this machine, so that the service's own cost is read beside it.
const brokers = process.env.KAFKA_BROKERS;
const topic = process.env.KAFKA_TOPIC;
if (!brokers || !topic) throw new Error(`Expected KAFKA_BROKERS and KAFKA_TOPIC, got ${JSON.stringify({ brokers, topic })}`);

const ledger = benchLedger(brokers, topic, 'bench-durable');
await ledger.connect();
const commits = new Batcher<readonly CertificateRecord[], readonly CertificateRecord[]>(
  groupCommit<CertificateRecord, readonly CertificateRecord[]>(ledger.writeLimit, async (submissions) => {
    await ledger.append(encodeRecords(submissions.flat()));
    return submissions;
  }),
);
// Each record states the offset it lands at while this is the topic's only writer, as the service's do.
let written = 0;
serveKoa((answer) => {
  const offset = written;
  written += 1;
  return commits
    .add([certificateRecord(answer, offset, `durable-${offset}`, undefined, undefined, undefined, undefined)])
    .then(() => undefined);
});
