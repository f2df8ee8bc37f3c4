# The API (and the one-shot migrator) on Node 22. Node runs the TypeScript
# sources directly through its native type stripping: there is no build step.
FROM node:22-slim

WORKDIR /app

# All dependencies, dev ones included (the image runs the same tree as
# `npm start`). `npm install` rather than `npm ci`: the lockfile may lack
# other platforms' optional packages (e.g. @cloudflare/workerd-darwin-64),
# which makes `npm ci` refuse it; `npm install` honours the lockfile as is.
# --ignore-scripts: nothing here needs an install script (native binaries
# come in per-platform packages), and it matches how npm 11 installs by default.
COPY package.json package-lock.json* ./
RUN npm install --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

COPY . .

# DATA_DIR holds generated secrets (and the embedded database when
# DATABASE_URL is unset); the unprivileged user must be able to write it.
ENV HOST=0.0.0.0 \
    PORT=8787 \
    DATA_DIR=/app/.data
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 8787

HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "src/node/main.ts"]
