# Airbyte source connector for Amplitude.
#
# BASE_IMAGE defaults to Airbyte's Python connector base, pinned by digest so
# rebuilds are reproducible. Sandboxed tests (no registry) override it with a
# local Debian bookworm image; everything below must work on both.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
FROM ${BASE_IMAGE}

# Must match pyproject.toml's version and metadata.yaml's dockerImageTag
# (checked by integration_tests/test_docker_image.py).
ARG CONNECTOR_VERSION=0.4.1

WORKDIR /airbyte/integration_code

# Dependencies first, from pyproject.toml alone (an empty package and README stand in), so
# that a change to the connector's own files rebuilds only the small layer below.
# PIP_BREAK_SYSTEM_PACKAGES lets Debian's pip install system-wide (PEP 668);
# the Airbyte base ignores it.
COPY pyproject.toml ./
RUN mkdir -p source_amplitude_til/local \
 && touch README.md source_amplitude_til/__init__.py source_amplitude_til/local/__init__.py \
 && PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check . \
 && rm -rf build source_amplitude_til source_amplitude_til.egg-info README.md

COPY README.md manifest.yaml ./
COPY source_amplitude_til/ ./source_amplitude_til/

# source_amplitude_til/manifest.yaml is a symlink to ../manifest.yaml; replace
# it with the real file so the installed package does not depend on this tree.
RUN cp --remove-destination manifest.yaml source_amplitude_til/manifest.yaml \
 && PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check --no-deps --force-reinstall . \
 && rm -rf build source_amplitude_til.egg-info \
 && (id -u airbyte >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin airbyte)

ENV AIRBYTE_ENTRYPOINT="source-amplitude-til"
ENTRYPOINT ["source-amplitude-til"]

LABEL io.airbyte.name=airbyte/source-amplitude-til
LABEL io.airbyte.version=${CONNECTOR_VERSION}

USER airbyte
