# syntax=docker/dockerfile:1
# The suanwang image: one image for every role; the first argument picks it (operator, agent, node-reporter).
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/suanwang:<version> --push .
#
# Not built on the project's development machine (it has no container engine); test/lab/charts-image.test.ts checks
# this file and runs the file set it copies. See docs/install.md.

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
