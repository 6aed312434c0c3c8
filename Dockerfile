# The tenantshift image: the operator and the route agent (one CLI), Node.js 24 (LTS) and the PostgreSQL 15
# client tools (pg_dump, pg_restore) the schema copy runs. Non-root, and fine with a read-only root
# filesystem: the only writes go to /tmp (mount an emptyDir there, as the chart does).
# Build: docker build -t tenantshift:0.1.0 .   Pin the base images by digest in your own build.

ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only; --ignore-scripts because `prepare` would run the TypeScript build.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The TypeScript build, with dev dependencies, of src/ only.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS runtime
# bookworm's PostgreSQL is 15: its pg_dump dumps 15 servers (and refuses newer ones, as it should).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tenantshift \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin tenantshift
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The operator reads its version from package.json (tenantshift_build_info).
COPY package.json ./
ENV NODE_ENV=production \
    TENANTSHIFT_PG_BIN=/usr/lib/postgresql/15/bin \
    HOME=/tmp
# Numeric, so that runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8081 8090
ENTRYPOINT ["node", "--enable-source-maps", "dist/src/cli/main.js"]
CMD ["operator"]
