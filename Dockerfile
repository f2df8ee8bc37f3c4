# The API, the job worker and the one-shot migrator (one image, PROCESS_ROLE picks the part) on
# Node 22. Node runs the TypeScript sources directly through its native type stripping: there is
# no build step.
#
# NODE_IMAGE: any Debian-based image with Node >= 22.18, npm and a `node` user (uid 1000), as the
# official one has. scripts/compose-smoke.sh builds such an image from Debian packages where no
# registry answers.
ARG NODE_IMAGE=node:22-slim
FROM ${NODE_IMAGE}

WORKDIR /app

# Runtime dependencies only: every import under src/ is a production dependency (knip checks it).
# `npm install` rather than `npm ci`: the lockfile may lack other platforms' optional packages
# (e.g. @cloudflare/workerd-darwin-64), which makes `npm ci` refuse it; `npm install` honours the
# lockfile as is. --ignore-scripts: nothing here needs an install script (native binaries come in
# per-platform packages), and it matches how npm 11 installs by default.
COPY package.json package-lock.json* ./
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts \
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

# Every role listens on PORT: a worker answers /health, /ready and /metrics there.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Through sh for the Node options of this Node version (scripts/check-node.mjs --node-flags).
CMD ["sh", "-c", "exec node $(node scripts/check-node.mjs --node-flags) src/node/main.ts"]
