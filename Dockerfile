# syntax=docker/dockerfile:1
# switchyard's agent image: `switchyard serve` from the compiled dist/, with
# production dependencies only, as an unprivileged user.
#   docker build -t registry.example.com/switchyard:0.1.0 .
# deploy/kubernetes/deployment.yaml runs it; docs/operations.md has the rest.
# test/integration/container-image.test.ts replays these stages without docker.
ARG NODE_IMAGE=node:20-bookworm-slim

# Compiles src/ to dist/ with the dev dependencies (TypeScript).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# What runs: dist/ and the production dependencies. (`switchyard sandbox`
# needs root, nginx and sshd: not something to run in this image.)
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts only build ssh2's optional native speed-ups; it runs without
# them. npm's cache stays in the build cache, out of the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts
COPY --from=build /app/dist ./dist
# The node image's unprivileged user, by number so that runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
