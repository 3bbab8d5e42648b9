# syntax=docker/dockerfile:1
# Build stage: dev dependencies and the TypeScript compiler, only to produce dist/.
FROM node:24-slim AS build
# swagger-ui-dist (GET /docs) depends on @scarf/scarf, whose install script reports downloads; opt out.
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The browser console: its sources and the esbuild script that bundles them into dist/console.
COPY web ./web
COPY scripts/build-console.ts ./scripts/
RUN npm run build

# Runtime stage: production dependencies and the compiled service, run as the unprivileged `node` user.
FROM node:24-slim
# Production: the service refuses to start without API_KEYS_FILE (or OIDC_ISSUER), SIGNING_KEY_FILE, PUBLIC_URL and CLUSTER_SECRET_FILE.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-fund --no-audit && npm cache clean --force
COPY --from=build /app/dist ./dist
# STATE_DIR's home in the image, the service's own: a volume mounted here starts out owned by it.
RUN mkdir -p /var/lib/certificates && chown node:node /var/lib/certificates
USER node
EXPOSE 3000
# The image has no curl; Node's own fetch probes readiness.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
