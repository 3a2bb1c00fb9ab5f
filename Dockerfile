# arizuko itself (the gateway), staged by scripts/stage-image.mjs gateway DIR:
#   node scripts/stage-image.mjs gateway /tmp/gateway-image && docker build -t arizuko /tmp/gateway-image
# Run it with its data in a volume and the port published on loopback only, since the
# web chat has no sign-in yet:
#   docker run -v arizuko-data:/srv/arizuko/data -p 127.0.0.1:8080:8080 arizuko
# arizuko.yaml is read from /srv/arizuko. To run agents in containers from it, see
# docs/agents.md ("arizuko in a container").
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
COPY app/ /opt/arizuko/
COPY --chown=1000:1000 data/ /srv/arizuko/data/
ENV NODE_ENV=production
WORKDIR /srv/arizuko
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "/opt/arizuko/node_modules/@arizuko/core/bin/arizuko.js"]
# Inside the container loopback is not reachable from outside: listen on every
# interface, and publish the port on the host's loopback (see above).
CMD ["start", "--host", "0.0.0.0", "--insecure"]
