import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/errors.js';
import { STATUS_OF } from '../src/http/status.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Every TypeScript file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchor(match[1]!)));
}

/** Every relative link and image of a Markdown file, outside code blocks: [text](target). */
function links(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}

describe('the documentation', () => {
  it('has no relative link in README.md or docs/ that leads nowhere, to a file or to a heading', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const target of links(file)) {
        const [path, fragment] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : relative(ROOT, join(ROOT, dirname(file), path));
        if (!existsSync(join(ROOT, resolved))) broken.push(`${file}: ${target} (no file ${resolved})`);
        else if (fragment !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(fragment)) {
          broken.push(`${file}: ${target} (no heading #${fragment} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(DOCS).toEqual(
      expect.arrayContaining([
        'docs/api.md',
        'docs/operations.md',
        'docs/audit.md',
        'docs/design.md',
        'docs/testing.md',
        'docs/benchmark.md',
      ]),
    );
  });

  it('documents in docs/operations.md every variable the service reads, and only src/config.ts reads the environment', () => {
    const sources = sourceFiles(join(ROOT, 'src'));
    // Variables are read as env.NAME, process.env.NAME, or passed by name to a reader: integer(env, 'NAME', …), text(env, 'NAME').
    const readers = new Map<string, Set<string>>();
    for (const file of sources) {
      const source = readFileSync(file, 'utf8');
      const names = [
        ...source.matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]*)/g),
        ...source.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'/g),
        ...source.matchAll(/process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g),
      ].map((match) => match[1]!);
      for (const name of names) readers.set(name, (readers.get(name) ?? new Set()).add(relative(ROOT, file)));
    }
    expect(readers.size).toBeGreaterThan(25);
    expect([...readers].filter(([, files]) => [...files].some((file) => file !== 'src/config.ts'))).toEqual([]);
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    expect([...readers.keys()].filter((name) => !operations.includes(`\`${name}\``))).toEqual([]);
  });

  it("lists every error code of src/core/errors.ts in docs/api.md's error table, with the status src/http/status.ts gives it", () => {
    const api = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
    const section = api.slice(api.indexOf('## Errors and what to do'));
    const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| status')));
    const statusInTable = new Map<string, string>();
    for (const row of table.split('\n').filter((line) => line.startsWith('| '))) {
      const [status, codes] = row
        .split('|')
        .slice(1, 3)
        .map((cell) => cell.trim()) as [string, string];
      for (const [, code] of codes.matchAll(/`([a-z_]+)`/g)) statusInTable.set(code!, status);
    }
    const wrong = ERROR_CODES.filter((code) => statusInTable.get(code) !== String(STATUS_OF[code])).map(
      (code) => `${code}: ${statusInTable.get(code) ?? 'missing'}, not ${STATUS_OF[code]}`,
    );
    expect(wrong).toEqual([]);
  });

  it('keeps the README a front door: short, with the two commands and links into docs/', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(120);
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
