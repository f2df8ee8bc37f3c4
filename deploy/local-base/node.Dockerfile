# A stand-in for node:22-slim built without a registry (scripts/compose-base-images.sh): the
# debootstrapped Debian image, plus Node 22 and npm from the npm registry (packages
# node-linux-<arch> and npm, installed on the host into this build's context) and the `node` user.
# It trusts what the host trusts: Debian's CA list and the host's local CAs (local-ca/, a copy of
# its /usr/local/share/ca-certificates), so npm works behind a TLS-inspecting egress proxy too.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}

COPY local-ca/ /usr/local/share/ca-certificates/
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

COPY node-linux/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --create-home --shell /bin/sh node \
 && node -v && npm -v

CMD ["node"]
