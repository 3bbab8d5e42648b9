import type Router from '@koa/router';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CertificateError } from '../core/errors.js';

const swaggerUi = createRequire(import.meta.url)
  .resolve('swagger-ui-dist/package.json')
  .replace(/package\.json$/, '');

// The page's own start-up, served as a file: the page then needs no inline script.
const START = `window.onload = () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, layout: 'BaseLayout' });
};
`;

/** Every file the documentation page loads, by the name it is served under: a closed list, so no path reaches the disk. */
export const DOCS_ASSETS: Readonly<Record<string, { readonly type: string; readonly load: () => Buffer }>> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', load: () => readFileSync(`${swaggerUi}swagger-ui.css`) },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', load: () => readFileSync(`${swaggerUi}swagger-ui-bundle.js`) },
  'favicon-32x32.png': { type: 'image/png', load: () => readFileSync(`${swaggerUi}favicon-32x32.png`) },
  'start.js': { type: 'text/javascript; charset=utf-8', load: () => Buffer.from(START) },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stock certificates API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

// Swagger UI styles elements inline and shows images from data: URLs; everything else comes from here.
const DOCS_SECURITY_POLICY =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /docs: the API document for people, rendered by Swagger UI from the npm package, no CDN. */
export function docsRoutes(router: Router): void {
  const loaded = new Map<string, Buffer>();
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_SECURITY_POLICY);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/:asset', (ctx) => {
    const name = ctx.params.asset!;
    const asset = Object.hasOwn(DOCS_ASSETS, name) ? DOCS_ASSETS[name] : undefined;
    if (asset === undefined) throw new CertificateError('not_found', `No documentation asset ${JSON.stringify(name.slice(0, 40))}`);
    let body = loaded.get(name);
    if (body === undefined) loaded.set(name, (body = asset.load()));
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.type = asset.type;
    ctx.body = body;
  });
}
