# One image for every process: the command picks it (`sim`, `agent-service`, `worker`, `dashboard`, `run`, ...).

# Build with dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Run with production dependencies only, as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY data ./data
COPY kb ./kb
USER node
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--help"]
