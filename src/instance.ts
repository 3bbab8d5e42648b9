import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { developmentKeyNotice, startCredentials } from './auth/credentials.js';
import type { Config } from './config.js';
import { isCertificateError } from './core/errors.js';
import { createApp } from './http/app.js';
import { TRUSTS_NO_KEY } from './core/seal.js';
import { exportFileName, exportLedger } from './ocf/ledger-export.js';
import { createInternalApp, listenInternal } from './http/internal-app.js';
import { listen } from './http/listener.js';
import { startEmbeddedBroker } from './log/embedded-broker.js';
import { plaintextSaslWarning } from './log/kafka-security.js';
import type { Logger } from './monitoring/logger.js';
import { printer } from './paper/printer.js';
import { startOidcVerifier } from './auth/oidc.js';
import { OidcSignIn } from './auth/oidc-sign-in.js';
import { SessionSeal, sessionKey } from './auth/session.js';
import { DEFAULT_LIVE, LiveFeed } from './http/live.js';
import { startService, type Service } from './service.js';

export interface Instance {
  readonly service: Service;
  readonly server: Server;
  /** The listener for /internal/* (INTERNAL_PORT): other instances only. */
  readonly internalServer: Server;
  /** Reads the API keys file and the signing key file again now (SIGHUP); both are also followed on their own. */
  reloadKeyFiles(): void;
  /** Stops taking connections, answers every request already taken, then closes the service and the log. */
  close(): Promise<void>;
}

/** How long a stopping instance lets the requests it took run to their answers. */
const CLOSE_TIMEOUT_MS = 15_000;

async function startWithRetry(start: () => Promise<Service>, logger: Logger, deadlineMs: number): Promise<Service> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await start();
    } catch (error) {
      // A setting that cannot work (a key file that cannot be read) will not work on the next try either.
      if (Date.now() > deadline || (isCertificateError(error) && error.code === 'invalid_config')) throw error;
      logger.warn({ error: (error as Error).message }, 'waiting for Kafka');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/**
 * The composition root: the broker (the local one when none is named), the service
 * (src/service.ts), paper and HTTP, all from one configuration, each part given its settings whole.
 */
export async function startInstance(config: Config, logger: Logger): Promise<Instance> {
  logger.level = config.logging.level;
  const saslWarning = plaintextSaslWarning(config.kafka.security);
  if (saslWarning !== undefined) logger.warn(saslWarning);
  // Before the log: a keys file that cannot be read stops the start at once. The identity
  // provider's discovery starts now and is retried until it succeeds (src/auth/oidc.ts).
  const tokens = config.auth.oidc === undefined ? undefined : startOidcVerifier(config.auth.oidc, logger);
  const credentials = startCredentials(config.auth, logger, tokens);
  const brokers = config.kafka.brokers ?? [await startEmbeddedBroker(config.kafka.localPort)];
  const kafka = { brokers, security: config.kafka.security, debug: config.kafka.debug };
  const service = await startWithRetry(() => startService({ ...config, kafka }, logger), logger, 60_000);
  const status = service.node.status();
  logger.info(
    {
      classes: service.sequencers.snapshots().map(({ class: code, certificates, sharesIssued }) => ({ code, certificates, sharesIssued })),
      logEnd: status.logEnd,
      voidRecords: status.voidRecords,
    },
    'recovered',
  );

  const paper = printer(config.paper, config.issuing.shareClasses);
  const { client, sessionSecret, sessionMinutes, liveMax } = config.console;
  const live = new LiveFeed(service.node, { ...DEFAULT_LIVE, maxSubscribers: liveMax });
  const signing = service.signing;
  const app = createApp({
    issuer: service.node,
    paper,
    // The identity provider's state is reported, not checked: API keys still work while it is away.
    readiness:
      tokens === undefined
        ? service.readiness
        : () => {
            const { checks, details } = service.readiness();
            return { checks, details: { ...details, identityProvider: tokens.status() } };
          },
    metrics: service.metrics,
    logger,
    logSample: config.logging.sample,
    authenticator: credentials.authenticator,
    identityProvider: config.auth.oidc?.issuer,
    edge: config.edge,
    ...(signing === undefined ? {} : { signingKeys: () => signing.publicSet() }),
    // Sealed under the key every instance derives alike (src/auth/session.ts): any instance takes any session.
    sessions: {
      seal: new SessionSeal(sessionKey(sessionSecret ?? config.internal.secret), sessionMinutes),
      signIn:
        client === undefined || config.auth.oidc === undefined || tokens === undefined
          ? undefined
          : new OidcSignIn(config.auth.oidc, client, tokens, logger),
      publicUrl: config.paper.publicUrl,
      logger,
    },
    live,
    ocfExport: async () => {
      const { shareClasses: classes, keyWindow } = config.issuing;
      const settings = { classes, keyWindow, verifier: signing ?? TRUSTS_NO_KEY, issuer: config.issuer };
      const exported = await exportLedger(service.ledger, settings, service.node.status().logEnd);
      return { zip: exported.zip, fileName: exportFileName(config.topic.name, exported.end), end: exported.end };
    },
    onInternalError: (error, ctx) => logger.error({ err: error, method: ctx.method, path: ctx.path }, 'internal error'),
  });
  const server = createServer(app.callback());
  server.maxConnections = config.edge.maxConnections;
  const open = await listen(server, config.http.port, config.http.host);
  const internal = await listenInternal(
    createInternalApp({
      issuer: service.node,
      proof: service.clusterAuth,
      onInternalError: (error, ctx) => logger.error({ err: error, method: ctx.method, path: ctx.path }, 'internal error'),
    }),
    config.http.host,
    config.internal,
  );
  logger.info(
    {
      port: config.http.port,
      internalPort: config.internal.port,
      brokers,
      topic: config.topic.name,
      advertisedUrl: config.cluster.advertisedUrl,
    },
    'listening',
  );
  if (credentials.developmentKey !== undefined) {
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    // Printed, not logged: shown once to the newcomer at the terminal, never kept in a log line.
    process.stdout.write(developmentKeyNotice(credentials.developmentKey, config.auth.apiKeysFile!, `http://${host}:${port}`));
  }
  return {
    service,
    server,
    internalServer: internal.server,
    reloadKeyFiles() {
      credentials.reload();
      service.reloadSigningKeys();
    },
    async close() {
      // Live streams never finish on their own: end them, and browsers reconnect elsewhere.
      live.close();
      // Stop accepting connections and answer every request already taken (forwarded calls too)
      // while the actors still issue, then let the actors finish whatever is left and close the log.
      await Promise.all([open.close(CLOSE_TIMEOUT_MS), internal.close(CLOSE_TIMEOUT_MS)]);
      await service.close();
      await paper.close();
      credentials.close();
    },
  };
}
