# The reconciler as a container: `reconciler run` (docs/deploy.md).
#
#   docker build -t reconciler --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) --build-arg BUILD_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
#   docker run -e RAILWAY_API_TOKEN=... -e RAILWAY_PROJECT_ID=... -e SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... -v reconciler:/data -p 8080:8080 reconciler
#
# The spec baked into the image is RECONCILER_SPEC (a path in the build
# context, default examples/desired.yaml) at /app/desired.yaml; the working
# directory, where the spec's relative paths (state.path, file report sinks)
# land, is /data: mount a volume there. Pass every variable the spec
# interpolates: examples/desired.yaml needs RAILWAY_PROJECT_ID and
# SLACK_WEBHOOK_URL (without one, run exits 3: "... is not set"); build
# with --build-arg RECONCILER_SPEC=desired.yaml to bake your own spec.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# What `reconciler version` and the reconciler_build_info metric say (.git
# is not in the build context, so Go cannot stamp them itself): VERSION,
# COMMIT (else RAILWAY_GIT_COMMIT_SHA, which Railway passes as a build
# argument) and BUILD_TIME (else the time of this build step), RFC 3339.
ARG VERSION=dev
ARG COMMIT=
ARG RAILWAY_GIT_COMMIT_SHA=unknown
ARG BUILD_TIME=
RUN CGO_ENABLED=0 go build -trimpath -tags nodemo \
      -ldflags "-s -w -X github.com/smartlic/reconciler/internal/cli.version=${VERSION} -X github.com/smartlic/reconciler/internal/cli.commit=${COMMIT:-${RAILWAY_GIT_COMMIT_SHA}} -X github.com/smartlic/reconciler/internal/cli.date=${BUILD_TIME:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" \
      -o /out/reconciler ./cmd/reconciler
ARG RECONCILER_SPEC=examples/desired.yaml
RUN mkdir -p /out/app /out/data && cp "${RECONCILER_SPEC}" /out/app/desired.yaml

# Alpine rather than distroless: `railway ssh` (which runs `sh` in the
# container) must work, so that `reconciler rollback` and `status` can be run
# next to the controller during an incident. Runs as uid 10001.
FROM alpine:3.22
RUN apk add --no-cache ca-certificates \
 && adduser -D -H -u 10001 reconciler
COPY --from=build /out/reconciler /usr/local/bin/reconciler
COPY --from=build --chown=10001:10001 /out/app /app
COPY --from=build --chown=10001:10001 /out/data /data
ENV RECONCILER_FILE=/app/desired.yaml
# A relative state.path is relative to the spec's directory (/app), which is
# not on the volume: the example spec takes its state path from this.
ENV RECONCILER_STATE_PATH=/data/.reconciler/state.json
WORKDIR /data
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["reconciler"]
CMD ["run"]
