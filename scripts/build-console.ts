/**
 * Builds the browser console (web/console) into dist/console: one script and one stylesheet, named by
 * their content's hash so they can be cached forever, and the index.html that loads them. Nothing is
 * inlined: the console runs under a CSP without 'unsafe-inline'.
 */
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

const out = 'dist/console';
await rm(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: 'web/console/main.ts', style: 'web/console/style.css' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  entryNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  legalComments: 'none',
});
const outputs = Object.keys(result.metafile.outputs);
const named = (ext: string): string => `/console/assets/${basename(outputs.find((file) => file.endsWith(ext))!)}`;
const page = (await readFile('web/console/index.html', 'utf8')).replace('%SCRIPT%', named('.js')).replace('%STYLE%', named('.css'));
await mkdir(out, { recursive: true });
await writeFile(join(out, 'index.html'), page);
console.log(`console: ${outputs.map((file) => basename(file)).join(', ')}`);
