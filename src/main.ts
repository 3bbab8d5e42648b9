import type { Server } from 'node:http';
import { Sequencers } from './actors/sequencers.js';
import { loadConfig, type Config } from './config.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { isCertificateError } from './errors.js';
import { gracefulClose } from './graceful-close.js';
import { createApp } from './http/app.js';
import { KafkaLedger } from './log/kafka-ledger.js';

function log(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields }));
}

async function connectWithRetry(ledger: KafkaLedger, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await ledger.connect();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      log('waiting for Kafka', { error: (error as Error).message });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** The composition root: configuration, broker, log, actors, HTTP, signals. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(isCertificateError(error) ? `Invalid configuration: ${error.message}` : error);
    process.exit(2);
  }

  const brokers = config.kafkaBrokers ?? [await startEmbeddedBroker()];
  const ledger = new KafkaLedger({
    brokers,
    topic: config.topic,
    minInsyncReplicas: config.minInsyncReplicas,
    replicationFactor: config.replicationFactor,
    flushEveryWrite: config.flushEveryWrite,
  });
  await connectWithRetry(ledger, 60_000);
  const sequencers = new Sequencers(config.shareClasses, ledger, { ackTimeoutMs: config.commitTimeoutMs });
  await sequencers.recoverAll();
  log('recovered', {
    classes: sequencers.snapshots().map(({ class: code, certificates, sharesIssued }) => ({ code, certificates, sharesIssued })),
  });

  const app = createApp({
    issuer: sequencers,
    onInternalError: (error, ctx) => log('internal error', { path: ctx.path, error: String(error) }),
  });
  const server: Server = app.listen(config.port, config.host);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  const closeServer = gracefulClose(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  log('listening', { port: config.port, brokers, topic: config.topic });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    // Stop accepting connections and answer every request already taken while the actors still
    // issue, then let the actors finish whatever is left and close the log.
    await closeServer(15_000);
    await sequencers.closeAll();
    await ledger.disconnect();
    log('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('fatal:', error);
  process.exit(1);
});
