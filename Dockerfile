# syntax=docker/dockerfile:1
# The Skyway gateway image: one image, two roles (SKYWAY_ROLE=api|admin).
# Node 20 because the uWebSockets.js build in package.json ships native binaries for Node 16/18/20 only.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are skipped: tsc needs none of the native test-only tools (chDB, embedded Postgres).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    ADMIN_PORT=4001 \
    SKYWAY_DATA_DIR=/app/.skyway
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only: aws-cdk-lib, test services and client SDKs are devDependencies.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The gateway's compiled code only (not infra, load tests or test support).
COPY --from=build /app/dist/regional ./dist/regional
COPY --from=build /app/dist/shared ./dist/shared
COPY --from=build /app/dist/edge ./dist/edge
# The admin console (static assets the admin role serves at /console/).
COPY --from=build /app/dist/console ./dist/console
RUN find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete \
 && mkdir -p /app/.skyway && chown node:node /app/.skyway
USER node
EXPOSE 4000 4001
# Liveliness on PORT; ECS overrides this per role with the role's own port.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health/liveliness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/regional/src/main.js"]
