# syntax=docker/dockerfile:1
# The suanwang image: one image for every role; the first argument picks it (operator, agent, node-reporter).
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.
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

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
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
