# policylang gateway: `docker build -t policylang .`, then
#   docker run -p 8080:8080 -v $PWD/my.policy:/policy/policy.policy:ro policylang
# Replicas share rate limits, budgets, circuits and learned quality through Redis:
#   -e POLICYLANG_STATE_URL=redis://redis:6379/0   (see deploy/compose.yaml, docs/deploying.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY policylang ./policylang
COPY grammar ./grammar
COPY stdlib ./stdlib
COPY examples ./examples
RUN pip install --no-compile '.[gateway,shared]' \
    && python -m compileall -q /usr/local/lib/python3.11/site-packages/policylang \
    && useradd --create-home --uid 10001 policylang \
    && mkdir -p /policy && cp examples/quickstart.policy /policy/policy.policy \
    && chown -R policylang /policy

USER policylang
EXPOSE 8080
# liveness: the process answers; readiness (/readyz) also says whether a candidate is healthy
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"
# SIGTERM drains: requests in flight get up to 30 s to finish (uvicorn's graceful shutdown)
STOPSIGNAL SIGTERM
CMD ["policylang", "serve", "/policy/policy.policy", "--host", "0.0.0.0", "--port", "8080"]
