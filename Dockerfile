# syntax=docker/dockerfile:1
# The suanwang image: one image for every role; the first argument picks it (operator, agent, node-reporter).
# The image runs JavaScript compiled from src/ (tsconfig.build.json) and holds no TypeScript: Node 24 could run the
# sources directly, but its type stripper would cost every process about 14 MiB resident (docs/image.md).
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/suanwang:<version> --push \
#     --build-arg VERSION=<version> --build-arg REVISION=$(git rev-parse HEAD) --build-arg SOURCE=<repository URL> .
#
# For users with a registry and a container engine. The project's own image is built without either by `make image`
# (image/Containerfile, docs/image.md): the same user, entrypoint, files and labels on a smaller root filesystem.
# test/unit/image/ keeps the two files in agreement; test/lab/charts-image.test.ts runs the file set this one copies.

ARG NODE_IMAGE=node:24-slim

# Production dependencies. They are pure JavaScript, so this stage runs on the build machine's platform and a
# multi-platform build needs no emulation; the result is copied unchanged into each platform's image.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# src/ compiled to JavaScript with the TypeScript of package-lock.json; like deps, the same for every platform.
# build/dist mirrors src/ at the same depth, so /app/dist finds ../../proto and ../../../package.json as src/ would.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.build.json

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
# No src/: bin/suanwang.mjs runs dist/ where the sources are absent.
COPY --from=build /app/build/dist ./dist
COPY proto ./proto
COPY crds ./crds
# The image's own `node` user (uid/gid 1000). Nothing is written outside /tmp, so the root filesystem can be read-only.
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/suanwang.mjs"]
CMD ["--help"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="suanwang" \
      org.opencontainers.image.description="Suanwang operator, site agent and node reporter (one image; the first argument picks the role)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}"
