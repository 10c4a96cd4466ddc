# The reconciler as a container: `reconciler run` (docs/deploy.md).
#
#   docker build -t reconciler --build-arg VERSION=$(git describe --tags --always) .
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
ARG VERSION=dev
ARG COMMIT=
# Railway passes the commit being deployed as this build argument.
ARG RAILWAY_GIT_COMMIT_SHA=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/smartlic/reconciler/internal/cli.version=${VERSION} -X github.com/smartlic/reconciler/internal/cli.commit=${COMMIT:-${RAILWAY_GIT_COMMIT_SHA}}" \
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
WORKDIR /data
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["reconciler"]
CMD ["run"]
