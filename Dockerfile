# The cb image: one binary, every role (`docker run IMAGE start --role api|worker|listener|all`).
# cb ships as TypeScript run by tsx (a runtime dependency), so the image holds the sources and the
# production dependencies only; the web console is built in a first stage (Vite is a dev dependency).
# Deploying it: docs/operations.md, "Deploying"; Kubernetes manifests in deploy/kubernetes/.

FROM node:20-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY web ./web
COPY src ./src
RUN npm run build:web

FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# What the running process reads besides node_modules: its sources and binary, the migrations it
# applies at start, the runbooks it serves (/v1/runbooks), the monitoring config `cb monitor up`
# renders, the dev chain's hardhat config (`--role all` without RPC_URLS) and the built console.
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY docs/runbooks ./docs/runbooks
COPY deploy ./deploy
COPY hardhat.config.cjs tsconfig.json ./
COPY --from=console /app/web/dist ./web/dist

# Listen on every interface (the default, 127.0.0.1, is unreachable from outside a container) and
# keep the embedded database and backups in a directory the unprivileged user owns.
ENV CB_HOST=0.0.0.0 \
    CB_PORT=3000 \
    CB_DATA_DIR=/var/lib/cb
RUN mkdir -p /var/lib/cb && chown node:node /var/lib/cb
# The image's own unprivileged user (uid 1000). The sources stay root-owned and read-only to it;
# it writes only CB_DATA_DIR and /tmp (tsx's compile cache).
USER node
EXPOSE 3000
# Liveness only (/healthz: the process answers); /readyz is for load balancers. Node has fetch and
# the slim image has no curl. The start period covers migrations on a first start.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.CB_PORT || 3000}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop, Kubernetes) drains within CB_SHUTDOWN_GRACE_MS (10 s): give `docker stop`
# a longer --time than that (its default is 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/cb.js"]
CMD ["start", "--role", "all"]
