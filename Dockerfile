# Builds both binaries, static and reproducible, from one source tree.
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace
# Cache modules before copying the source, so that source edits do not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY dataplane/ dataplane/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/slicelb-controller ./cmd/controller && \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/slicelb-node ./cmd/node

# The node agent's image: it talks to the kernel over netlink only (IPVS, addresses, nftables,
# conntrack), so it needs no shell and no iptables/ipvsadm binaries. It runs as root with NET_ADMIN
# (see config/node).
FROM gcr.io/distroless/static-debian12 AS node
COPY --from=builder /out/slicelb-node /slicelb-node
ENTRYPOINT ["/slicelb-node"]

# The controller's image (the default target): distroless, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /
COPY --from=builder /out/slicelb-controller /slicelb-controller
COPY --from=builder /out/slicelb-node /slicelb-node
USER 65532:65532
ENTRYPOINT ["/slicelb-controller"]
