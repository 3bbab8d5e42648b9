import { DEFAULTS, loadConfig, type Config } from './config.js';
import { isCertificateError } from './core/errors.js';
import { startInstance } from './instance.js';
import { createLogger } from './monitoring/logger.js';

const logger = createLogger(DEFAULTS.logLevel);

/** The process: configuration, the instance (src/instance.ts), signals, exit codes. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (isCertificateError(error)) logger.fatal(`Invalid configuration: ${error.message}`);
    else logger.fatal({ err: error }, 'Invalid configuration');
    process.exit(2);
  }
  const instance = await startInstance(config, logger);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await instance.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // An operator's nudge after editing a key file (they are also watched and polled).
  process.on('SIGHUP', () => instance.reloadKeyFiles());
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'fatal');
  process.exit(1);
});
