import { serveKoa } from './koa-app.js';

// The ceiling for our edge: Koa and @koa/router, a parsed JSON body, a response object Koa serialises.
serveKoa();
