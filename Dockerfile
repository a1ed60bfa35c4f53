# rc-agent as a service: `docker build -t rc-agent .` then
#   docker run -p 8126:8126 -p 5001:5001 -e DD_API_KEY=… rc-agent
# Stage 1 compiles TypeScript with the dev dependencies; stage 2 ships dist/ with the runtime dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DD_BIND_HOST=0.0.0.0 \
    DD_RUN_PATH=/var/lib/rc-agent
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY examples ./examples
RUN mkdir -p /var/lib/rc-agent && chown node:node /var/lib/rc-agent
USER node
EXPOSE 8126 5001
VOLUME ["/var/lib/rc-agent"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.DD_APM_RECEIVER_PORT || 8126) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["./bin/rc-agent"]
CMD ["run"]
