# An app image: the Switchboard worker base plus one Chainlit-style module.
#
#   docker build --target worker -t switchboard/worker .                         # the base, once
#   docker build -f deploy/examples/worker-app.Dockerfile -t my-org/my-app path/to/app/
#
# The build context is the folder holding app.py (and public/, .env, ... if any).
# Run it as the `worker` of deploy/compose.yaml or deploy/k8s (image: my-org/my-app).
ARG WORKER_IMAGE=switchboard/worker:latest
FROM ${WORKER_IMAGE}

# Extra dependencies of the app go into the image's virtualenv, as root, before the app:
#   USER root
#   COPY requirements.txt /app/requirements.txt
#   RUN python3 -m pip --python /app/.venv/bin/python install --no-cache-dir -r /app/requirements.txt
#   USER 10001:10001

COPY app.py /app/app.py
