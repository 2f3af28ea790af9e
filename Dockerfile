# syntax=docker/dockerfile:1
# The front door (`durable-router serve`) for Azure Container Apps. Configure it with ROUTER_*
# environment variables (infra/main.bicep sets them; README: "From your laptop to Azure").

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY router ./router
COPY deployer ./deployer
COPY shared ./shared
COPY test ./test
COPY templates ./templates
RUN npx tsc -b

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ROUTER_HOST=0.0.0.0 \
    ROUTER_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/router ./dist/router
COPY --from=build /src/dist/shared ./dist/shared
COPY --from=build /src/dist/deployer ./dist/deployer
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ROUTER_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/router/cli/main.js"]
CMD ["serve"]
