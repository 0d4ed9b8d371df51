# The auditor in a container: Debian slim, Debian's Python 3.11, Pango for the PDF reports (the fonts come
# with the package, in reports/templates/assets/fonts), run as an unprivileged user. See docs/automation.md.
#
#   docker build -t csp-posture-auditor .
#   docker run --rm -v "$PWD/audit:/out" csp-posture-auditor run --sample --out /out
#
# BASE_IMAGE may name a local copy of Debian bookworm slim (a mirror, an air-gapped registry).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY auditor ./auditor
COPY checks ./checks
COPY reports ./reports
COPY sample_data ./sample_data
# Behind a TLS-inspecting proxy, hand pip the full CA bundle that trusts it (build time only, never in the
# image):  docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt .
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && python3 -m venv /opt/auditor && /opt/auditor/bin/pip install --no-compile . \
 && /opt/auditor/bin/auditor --version

FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
# Pango, HarfBuzz's subsetter and fontconfig for WeasyPrint; a fallback font for scripts the bundled
# Liberation fonts lack; CA certificates for SMTP STARTTLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/auditor /opt/auditor
RUN useradd --system --uid 10001 --user-group --home-dir /home/auditor --create-home auditor \
 && mkdir -p /out /data \
 && chown auditor:auditor /out /data
ENV PATH=/opt/auditor/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XDG_DATA_HOME=/data
USER auditor
WORKDIR /home/auditor
VOLUME ["/out", "/data"]
ENTRYPOINT ["auditor"]
CMD ["run", "--config", "/config/tenants.toml", "--out", "/out"]
