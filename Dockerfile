# syntax=docker/dockerfile:1
# snowduty image: a static binary on distroless, non-root, `snowduty run` by default.
#   make image                      # docker build with VERSION from git
#   docker build --build-arg VERSION=1.2.3 -t snowduty:1.2.3 .
# The build step is `make build`, the same command CI's `make image-check` runs,
# so what is checked without a Docker engine is what ships.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH make build VERSION="${VERSION}" BIN=/out/snowduty

# distroless/static: CA certificates, tzdata and /etc/passwd with the nonroot
# user (65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="snowduty" \
      org.opencontainers.image.description="Keeps Flashduty and ServiceNow incidents in sync, both ways" \
      org.opencontainers.image.source="https://github.com/snowduty/snowduty" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/snowduty /usr/local/bin/snowduty
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/snowduty"]
CMD ["run"]
