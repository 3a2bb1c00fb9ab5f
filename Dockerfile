# arizuko itself (the gateway). Stage the build context, then build it:
#   node scripts/stage-image.mjs gateway /tmp/gateway-image && docker build -t arizuko /tmp/gateway-image
# Without a registry, build a local base first (node scripts/base-image.mjs) and pass it
# with --build-arg BASE_IMAGE=arizuko-base:local. docs/deploy.md has the whole setup:
# accounts, the Docker socket for agent containers, compose, backups and upgrades.
#
# It runs as uid 1000, reads arizuko.yaml from /srv/arizuko and keeps its state in
# /srv/arizuko/data. Add the first account before the first start:
#   docker run --rm -v /srv/arizuko:/srv/arizuko arizuko user add ada --operator
# Without an account, arizuko refuses to listen on 0.0.0.0 (ARZ_ERR_INSECURE_BIND),
# since the web chat would be open to anyone who reaches it.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
COPY app/ /opt/arizuko/
COPY --chown=1000:1000 data/ /srv/arizuko/data/
ENV NODE_ENV=production
# `docker exec arizuko arizuko …` runs commands against the running instance.
ENV PATH=/opt/arizuko/bin:${PATH}
WORKDIR /srv/arizuko
USER 1000:1000
EXPOSE 8080
# The port the health check asks; set it when arizuko listens on another one, e.g. with
# `port: "${ARIZUKO_PORT:-8080}"` in arizuko.yaml so both read the same variable.
ENV ARIZUKO_PORT=8080
# /ready answers 200 once start-up has finished and 503 while arizuko stops. The base
# image may have no curl or wget, so node asks. The start period covers migrations.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.ARIZUKO_PORT + '/ready', { signal: AbortSignal.timeout(4000) }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/opt/arizuko/node_modules/@arizuko/core/bin/arizuko.js"]
# Inside a container with its own network, loopback is not reachable from outside:
# listen on every interface and publish the port on the host's loopback
# (-p 127.0.0.1:8080:8080). With --network host, run `start` alone to keep 127.0.0.1.
CMD ["start", "--host", "0.0.0.0"]
