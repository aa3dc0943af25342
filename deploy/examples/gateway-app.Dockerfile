# An app's gateway image: the Switchboard gateway plus the app's Chainlit public/ folder
# (custom CSS/JS, theme.json, logos, favicon, avatars, public/elements/*.jsx).
#
#   docker build --target gateway -t switchboard/gateway .                           # the base, once
#   docker build -f deploy/examples/gateway-app.Dockerfile -t my-org/my-app-gateway path/to/app/
#
# The build context is the app's folder, as for worker-app.Dockerfile; build both images
# from the same commit and roll them out together. The gateway serves /app/public
# (SWITCHBOARD_PUBLIC_DIR); symlinks in it may only point inside it.
ARG GATEWAY_IMAGE=switchboard/gateway:latest
FROM ${GATEWAY_IMAGE}

COPY public/ /app/public/
