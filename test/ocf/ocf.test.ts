import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Terms } from '../../src/core/terms.js';
import { md5Of, MANIFEST_PATH } from '../../src/ocf/export.js';
import { OcfSchemas, type FileType } from '../../src/ocf/schemas.js';
import { startApp } from '../support/app.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { authorizedFetch } from '../support/credentials.js';
import { startService, type RunningService } from '../support/service.js';
import { SIGNING_FILE } from '../support/signing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const SHARE_CLASSES = 'CS=1000:Common Stock,PS=500:Series A Preferred';
const CLASSES = [
  { code: 'CS', authorized: 1000, name: 'Common Stock' },
  { code: 'PS', authorized: 500, name: 'Series A Preferred' },
];
// ISSUER_FORMATION_DATE and ISSUER_COUNTRY as documented: what the manifest's issuer says beside COMPANY_NAME.
const ISSUER_ENV = { COMPANY_NAME: 'Salt Bae Holdings, Inc.', ISSUER_FORMATION_DATE: '2019-03-14', ISSUER_COUNTRY: 'GB' };
const schemas = new OcfSchemas();
const dir = mkdtempSync(join(tmpdir(), 'ocf-'));

/** `npm run ocf -- ARGS` as its own process on the suite's broker. */
async function ocf(topic: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/ocf/cli.ts', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: broker().brokers.join(','),
        KAFKA_TOPIC: topic,
        SHARE_CLASSES,
        SIGNING_KEY_FILE: SIGNING_FILE,
        ...ISSUER_ENV,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

type Json = Record<string, unknown>;
/** A package's files, parsed, by path. */
function filesOf(zip: Uint8Array): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(unzipSync(zip)).map(([path, bytes]) => [path, JSON.parse(new TextDecoder().decode(bytes)) as Json]),
  );
}
/** What must be equal between two exports of the same cap table: everything but when each was generated. */
function objectsOf(zip: Uint8Array): Record<string, Json> {
  const files = filesOf(zip);
  const manifest = { ...files[MANIFEST_PATH]! };
  delete manifest.generated_at;
  return { ...files, [MANIFEST_PATH]: manifest };
}
/** A package with the files changed by `change`, the manifest's MD5s made to match unless `keepMd5`. */
function altered(zip: Uint8Array, change: (files: Record<string, Json>) => void, keepMd5 = false): string {
  const files = filesOf(zip);
  change(files);
  const bytes: Record<string, Uint8Array> = {};
  for (const [path, json] of Object.entries(files)) if (path !== MANIFEST_PATH) bytes[path] = strToU8(`${JSON.stringify(json, null, 2)}\n`);
  const manifest = files[MANIFEST_PATH]!;
  if (!keepMd5) {
    for (const value of Object.values(manifest))
      if (Array.isArray(value))
        for (const file of value as Array<{ filepath: string; md5: string }>) file.md5 = md5Of(bytes[file.filepath]!);
  }
  bytes[MANIFEST_PATH] = strToU8(JSON.stringify(manifest));
  const path = join(dir, `altered-${Math.random().toString(36).slice(2)}.ocf.zip`);
  writeFileSync(path, zipSync(bytes));
  return path;
}
const transactions = (files: Record<string, Json>) => files['Transactions.ocf.json']!.items as Json[];

describe('Open Cap Table Format out and in, against a real broker', () => {
  const source = uniqueTopic('ocf-source');
  const exported = join(dir, 'source.ocf.zip');
  let zip: Uint8Array;
  let service: RunningService | undefined;

  beforeAll(async () => {
    // A ledger with every event OCF has a transaction for, and a stop, which it has none for.
    const app = await startApp(source, CLASSES);
    try {
      const asked = (n: number) => ({ principal: 'key:test', requestId: `ocf-test-${n}` });
      const { sequencers } = app;
      await sequencers.act({
        event: 'legend',
        class: 'CS',
        legend: { id: 'L144', name: 'Rule 144', text: 'THESE SHARES HAVE NOT BEEN REGISTERED.' },
        ...asked(1),
      });
      const alice: Terms = {
        holder: 'alice',
        legends: ['L144'],
        approvedOn: '2024-01-02',
        price: { amount: '1.25', currency: 'USD' },
        exemption: 'Rule 506(b)',
      };
      await sequencers.issue({ class: 'CS', name: 'Alice Example', amount: 100, terms: alice, ...asked(2) });
      await sequencers.issue({ class: 'CS', name: 'Bob Example', amount: 200, ...asked(3) });
      await sequencers.issue({ class: 'PS', name: 'Carol Example', amount: 50, ...asked(4) });
      await sequencers.act({
        event: 'transfer',
        class: 'CS',
        certificate: 'CS-1',
        transferees: [{ name: 'Dave Example', amount: 40, terms: { holder: 'dave' } }],
        ...asked(5),
      });
      await sequencers.act({
        event: 'cancellation',
        class: 'CS',
        certificate: 'CS-2',
        quantity: 50,
        reason: 'issued in error',
        ...asked(6),
      });
      await sequencers.act({ event: 'stop', class: 'CS', certificate: 'CS-3', reason: 'reported lost', ...asked(7) });
      await sequencers.act({ event: 'reissuance', class: 'CS', certificate: 'CS-3', reason: 'lost', ...asked(8) });
      await sequencers.act({
        event: 'repurchase',
        class: 'PS',
        certificate: 'PS-1',
        quantity: 10,
        price: { amount: '2.00', currency: 'USD' },
        ...asked(9),
      });
      await sequencers.act({ event: 'adjustment', class: 'CS', authorized: 2000, approvedOn: '2024-06-01', ...asked(10) });
      // The Rule 144 legend removed: reissued without it.
      await sequencers.act({ event: 'reissuance', class: 'CS', certificate: 'CS-4', terms: { holder: 'alice' }, ...asked(11) });
      await sequencers.act({ event: 'cancellation', class: 'CS', certificate: 'CS-5', ...asked(12) });
    } finally {
      await app.close();
    }
    const result = await ocf(source, ['export', exported]);
    expect(result.stderr).not.toContain('ocf:');
    expect(result.code).toBe(0);
    zip = readFileSync(exported);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('exports a package the OCF 1.2.0 schemas take: the manifest, every file and every object, with the MD5s the manifest lists', () => {
    const files = unzipSync(zip);
    const manifest = JSON.parse(new TextDecoder().decode(files[MANIFEST_PATH])) as Json;
    expect(schemas.fileProblem('OCF_MANIFEST_FILE', manifest)).toBeUndefined();
    expect(manifest.issuer).toMatchObject({
      legal_name: 'Salt Bae Holdings, Inc.',
      formation_date: '2019-03-14',
      country_of_formation: 'GB',
    });
    let objects = 0;
    for (const [list, type] of [
      ['stock_classes_files', 'OCF_STOCK_CLASSES_FILE'],
      ['stakeholders_files', 'OCF_STAKEHOLDERS_FILE'],
      ['stock_legend_templates_files', 'OCF_STOCK_LEGEND_TEMPLATES_FILE'],
      ['transactions_files', 'OCF_TRANSACTIONS_FILE'],
    ] as const) {
      const [entry] = manifest[list] as Array<{ filepath: string; md5: string }>;
      const bytes = files[entry!.filepath]!;
      expect(md5Of(bytes)).toBe(entry!.md5);
      const file = JSON.parse(new TextDecoder().decode(bytes)) as { items: Json[] };
      expect(schemas.fileProblem(type as FileType, file)).toBeUndefined();
      for (const item of file.items) expect(schemas.objectProblem(item), JSON.stringify(item)).toBeUndefined();
      objects += file.items.length;
    }
    expect(objects).toBe(2 + 4 + 1 + 16);
  });

  it('maps certificates and events to OCF transactions in log order, stops left out', () => {
    const files = filesOf(zip);
    const txs = transactions(files);
    expect(txs.map(({ object_type, id }) => `${String(object_type)} ${String(id)}`).slice(0, 7)).toEqual([
      'TX_STOCK_ISSUANCE issuance-CS-1',
      'TX_STOCK_ISSUANCE issuance-CS-2',
      'TX_STOCK_ISSUANCE issuance-PS-1',
      expect.stringMatching(/^TX_STOCK_TRANSFER CS-E\d+$/),
      'TX_STOCK_ISSUANCE issuance-CS-3',
      'TX_STOCK_ISSUANCE issuance-CS-4',
      expect.stringMatching(/^TX_STOCK_CANCELLATION CS-E\d+$/),
    ]);
    expect(txs[0]).toMatchObject({
      security_id: 'CS-1',
      custom_id: 'CS-1',
      stakeholder_id: 'alice',
      stock_class_id: 'CS',
      quantity: '100',
      share_price: { amount: '1.25', currency: 'USD' },
      stock_legend_ids: ['L144'],
      board_approval_date: '2024-01-02',
      security_law_exemptions: [{ description: 'Rule 506(b)', jurisdiction: 'GB' }],
    });
    // No price on the certificate: OCF requires one, so the export states zero.
    expect(txs[1]).toMatchObject({
      share_price: { amount: '0', currency: 'USD' },
      stock_legend_ids: [],
      stakeholder_id: expect.stringMatching(/^name-[0-9a-f]{16}$/),
    });
    expect(txs[3]).toMatchObject({ security_id: 'CS-1', quantity: '40', resulting_security_ids: ['CS-3'], balance_security_id: 'CS-4' });
    expect(txs[6]).toMatchObject({ security_id: 'CS-2', quantity: '50', reason_text: 'issued in error', balance_security_id: 'CS-5' });
    expect(txs.filter(({ object_type }) => object_type === 'TX_STOCK_REISSUANCE')).toHaveLength(2);
    expect(txs.find(({ object_type }) => object_type === 'TX_STOCK_REPURCHASE')).toMatchObject({
      security_id: 'PS-1',
      quantity: '10',
      price: { amount: '2.00', currency: 'USD' },
      balance_security_id: 'PS-2',
    });
    expect(txs.find(({ object_type }) => object_type === 'TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT')).toMatchObject({
      stock_class_id: 'CS',
      new_shares_authorized: '2000',
      board_approval_date: '2024-06-01',
    });
    // The whole cancellation of CS-5 issues nothing; OCF still requires a reason.
    expect(txs.at(-1)).toMatchObject({
      object_type: 'TX_STOCK_CANCELLATION',
      security_id: 'CS-5',
      quantity: '150',
      reason_text: 'cancelled',
    });
    expect(txs.some(({ object_type }) => String(object_type).includes('STOP'))).toBe(false);
    expect(files['StockClasses.ocf.json']!.items).toEqual([
      expect.objectContaining({
        id: 'CS',
        default_id_prefix: 'CS-',
        initial_shares_authorized: '1000',
        class_type: 'COMMON',
        name: 'Common Stock',
      }),
      expect.objectContaining({ id: 'PS', default_id_prefix: 'PS-', initial_shares_authorized: '500', class_type: 'PREFERRED' }),
    ]);
  });

  it('serves the same package at GET /ocf/export (audit:read) from a real service process', async () => {
    service = await startService({ KAFKA_TOPIC: source, SHARE_CLASSES, SIGNING_KEY_FILE: SIGNING_FILE, ...ISSUER_ENV });
    const response = await authorizedFetch(`${service.url}/ocf/export`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    const end = Number(response.headers.get('ocf-as-of-offset'));
    expect(end).toBeGreaterThan(0);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${source}-${end}.ocf.zip"`);
    expect(objectsOf(new Uint8Array(await response.arrayBuffer()))).toEqual(objectsOf(zip));
    expect((await fetch(`${service.url}/ocf/export`)).status).toBe(401);
  });

  it('round trip: the export imported into a fresh ledger exports again as the same objects', async () => {
    const target = uniqueTopic('ocf-target');
    const imported = await ocf(target, ['import', exported]);
    expect(imported.stderr).not.toContain('ocf:');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('9 certificates');
    const again = join(dir, 'again.ocf.zip');
    expect((await ocf(target, ['export', again])).code).toBe(0);
    expect(objectsOf(readFileSync(again))).toEqual(objectsOf(zip));
    // The audit's rule judges the imported ledger sound, signed as the service signs.
    const audit = await run(process.execPath, ['--import', 'tsx', 'src/audit/cli.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: broker().brokers.join(','),
        KAFKA_TOPIC: target,
        SHARE_CLASSES,
        SIGNING_KEY_FILE: SIGNING_FILE,
      },
    });
    expect(audit.stdout).toContain('OK:');
  });

  it('refuses an import into a ledger that is not empty', async () => {
    const result = await ocf(source, ['import', exported]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ocf: ledger_not_empty: The ledger is not empty \(class CS has 7 certificates\)/m);
  });

  /** Imports `file` into a fresh topic: it must be refused, writing nothing. */
  async function refused(file: string): Promise<string> {
    const topic = uniqueTopic('ocf-refused');
    const result = await ocf(topic, ['import', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    return result.stderr;
  }

  it('refuses a file whose MD5 is not the manifest’s', async () => {
    const file = altered(zip, (files) => void (transactions(files)[0]!.quantity = '101'), true);
    expect(await refused(file)).toMatch(
      /^ocf: invalid_import: Transactions\.ocf\.json: its MD5 is [0-9a-f]{32}, the manifest says [0-9a-f]{32}: the file was changed or damaged/m,
    );
  });

  it('refuses a file the schemas reject, naming the object', async () => {
    const file = altered(zip, (files) => void ((files['Stakeholders.ocf.json']!.items as Json[])[1]!.stakeholder_type = 'ROBOT'));
    expect(await refused(file)).toMatch(
      /^ocf: invalid_import: Stakeholders\.ocf\.json: item 1 \(id "name-[0-9a-f]{16}"\): \/stakeholder_type must be equal to one of the allowed values \(INDIVIDUAL, INSTITUTION\)/m,
    );
  });

  it('refuses a gap in a class’s numbers, naming the certificate after it', async () => {
    const file = altered(zip, (files) => {
      const txs = transactions(files);
      const at = txs.findIndex(({ id }) => id === 'issuance-PS-1');
      // PS-1 renumbered PS-2's number + 1: PS numbers 2..3, no 1 (its events dropped with it).
      files['Transactions.ocf.json']!.items = txs
        .filter(({ security_id, object_type }) => !(object_type === 'TX_STOCK_REPURCHASE' && security_id === 'PS-1'))
        .filter(({ custom_id }) => custom_id !== 'PS-2')
        .map((tx, index) => (index === at ? { ...tx, custom_id: 'PS-3', security_id: 'PS-3' } : tx));
    });
    expect(await refused(file)).toMatch(
      /^ocf: invalid_import: TX_STOCK_ISSUANCE "issuance-PS-1": gap in class PS's numbers: PS-1 is missing/m,
    );
  });

  it('refuses a duplicate certificate number', async () => {
    const file = altered(zip, (files) => {
      const txs = transactions(files);
      txs.push({ ...txs.find(({ id }) => id === 'issuance-CS-2')!, id: 'issuance-again', security_id: 'again' });
    });
    expect(await refused(file)).toMatch(
      /^ocf: invalid_import: TX_STOCK_ISSUANCE "issuance-again": duplicate certificate number: issuance-CS-2 issues CS-2 too/m,
    );
  });

  it('refuses a class issued over its authorized shares, naming the issuance', async () => {
    const file = altered(zip, (files) => void (transactions(files).find(({ id }) => id === 'issuance-PS-1')!.quantity = '501'));
    expect(await refused(file)).toMatch(
      /^ocf: invalid_import: TX_STOCK_ISSUANCE "issuance-PS-1": over-authorized: PS-1 \(501 shares\) exceeds class PS's 500 remaining authorized shares/m,
    );
  });
});
