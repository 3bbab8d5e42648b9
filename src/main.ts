import type { Server } from 'node:http';
import { loadConfig, type Config } from './config.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { isCertificateError } from './errors.js';
import { gracefulClose } from './graceful-close.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { printer } from './paper/printer.js';
import { startService, type Service } from './service.js';

const logger = createLogger();

async function startWithRetry(start: () => Promise<Service>, deadlineMs: number): Promise<Service> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await start();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      logger.warn({ error: (error as Error).message }, 'waiting for Kafka');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** The composition root: configuration, broker, the service (src/service.ts), HTTP, signals. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (isCertificateError(error)) logger.fatal(`Invalid configuration: ${error.message}`);
    else logger.fatal({ err: error }, 'Invalid configuration');
    process.exit(2);
  }
  logger.level = config.logLevel;

  const brokers = config.kafkaBrokers ?? [await startEmbeddedBroker()];
  const service = await startWithRetry(
    () =>
      startService({
        brokers,
        security: config.kafkaSecurity,
        topic: config.topic,
        shareClasses: config.shareClasses,
        advertisedUrl: config.advertisedUrl,
        writerGroup: config.writerGroup,
        writerSessionTimeoutMs: config.writerSessionTimeoutMs,
        writerWaitMs: config.writerWaitMs,
        keyWindow: config.keyWindow,
        commitTimeoutMs: config.commitTimeoutMs,
        minInsyncReplicas: config.minInsyncReplicas,
        replicationFactor: config.replicationFactor,
        flushEveryWrite: config.flushEveryWrite,
        ...(config.stateDir === undefined ? {} : { stateDir: config.stateDir }),
        snapshotEveryRecords: config.snapshotEveryRecords,
        logger,
      }),
    60_000,
  );
  logger.info(
    {
      classes: service.sequencers.snapshots().map(({ class: code, certificates, sharesIssued }) => ({ code, certificates, sharesIssued })),
      logEnd: service.node.status().logEnd,
      voidRecords: service.node.status().voidRecords,
    },
    'recovered',
  );

  const paper = printer(config.companyName, config.shareClasses, config.publicUrl);
  const app = createApp({
    issuer: service.node,
    paper,
    readiness: service.readiness,
    metrics: service.metrics,
    logger,
    logSample: config.logSample,
    onInternalError: (error, ctx) => logger.error({ err: error, method: ctx.method, path: ctx.path }, 'internal error'),
  });
  const server: Server = app.listen(config.port, config.host);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  const closeServer = gracefulClose(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  logger.info({ port: config.port, brokers, topic: config.topic, advertisedUrl: config.advertisedUrl }, 'listening');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Stop accepting connections and answer every request already taken while the actors still
    // issue, then let the actors finish whatever is left and close the log.
    await closeServer(15_000);
    await service.close();
    await paper.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'fatal');
  process.exit(1);
});
