import { loadKeysConfig, loadSigningKeysConfig } from '../config.js';
import { isCertificateError } from '../core/errors.js';
import { API_KEYS_USAGE, runApiKeysCommand } from './api-keys-command.js';
import { runSigningCommand, SIGNING_USAGE } from './signing-command.js';
import { isUsageError } from './usage.js';

const USAGE = `Usage:
${API_KEYS_USAGE}
${SIGNING_USAGE}`;

/**
 * `npm run keys`: API keys (create, list, revoke) on API_KEYS_FILE, and `signing …` on
 * SIGNING_KEY_FILE, each the file the service reads with the same settings (src/config.ts).
 */
function main(): void {
  const argv = process.argv.slice(2);
  try {
    const lines =
      argv[0] === 'signing'
        ? runSigningCommand(argv.slice(1), loadSigningKeysConfig().signingKeyFile)
        : runApiKeysCommand(argv, loadKeysConfig().apiKeysFile);
    for (const text of lines) process.stdout.write(`${text}\n`);
  } catch (error) {
    const usage = isUsageError(error);
    process.stderr.write(`${(error as Error).message}\n${usage ? `\n${USAGE}\n` : ''}`);
    process.exit(usage || isCertificateError(error) ? 2 : 1);
  }
}

main();
