# The Quaycast bridge (Kafka → Worker) as a container. Build from the repository root:
#   docker build -f deploy/bridge.Dockerfile -t quaycast-bridge .
# Configuration is the environment only (docs/deploy.md): pass it at run time with --env-file;
# no secret is ever copied into the image.
FROM node:22-slim

# Node >= 22.18 runs the TypeScript sources directly (type stripping): no build step, no tsc.
ENV NODE_ENV=production
WORKDIR /app

# Dependencies first (cached while the lockfile is unchanged). --omit=dev leaves out wrangler,
# vitest, vite...; the bridge needs kafkajs, snappyjs, lz4js, fzstd, zod and prom-client (deploy/deploy.test.ts
# checks that every package it imports is a production dependency).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The bridge and the wire contract it imports (protocol/ingest.ts).
COPY protocol/ protocol/
COPY bridge/src/ bridge/src/

# Metrics and health for Prometheus and the orchestrator: listen beyond loopback in a container.
ENV METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464
EXPOSE 9464

USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.METRICS_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM: the bridge stops without committing unfinished batches and exits within 20 s.
STOPSIGNAL SIGTERM
CMD ["node", "bridge/src/main.ts"]
