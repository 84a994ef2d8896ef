# syntax=docker/dockerfile:1
# habit-server and habit-cli in a slim Debian image (README.md, "Docker").
# Build: docker build -t habitrpc .    Run the whole stack: docker compose up --build

# Build stage: the Swift 6.3 toolchain on Debian bookworm, the same distribution as the runtime stage, so
# the hiredis the binaries link against is the one installed below (0.14.1).
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The Swift runtime and Foundation are linked statically, so the runtime stage needs no toolchain.
# The package cache (.build) stays in a BuildKit cache mount between builds; the binaries are copied out.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --static-swift-stdlib --product habit-server \
    && swift build -c release --static-swift-stdlib --product habit-cli \
    && mkdir -p /staging \
    && cp "$(swift build -c release --show-bin-path)/habit-server" "$(swift build -c release --show-bin-path)/habit-cli" /staging/

# Runtime stage: only the shared libraries the binaries load (ldd: libhiredis, libstdc++, libgcc_s, libm, libc)
# plus CA certificates and the IANA time zone data HabitCore's time zones read.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis0.14 libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 habit \
    && useradd --system --uid 10001 --gid habit --home-dir /var/lib/habit --create-home --shell /usr/sbin/nologin habit \
    && mkdir -p /var/lib/habit/data \
    && chown habit:habit /var/lib/habit/data
COPY --from=build /staging/habit-server /staging/habit-cli /usr/local/bin/

# Inside the container both ports listen on every interface so published ports reach them; publish the
# admin port (unauthenticated /health, /ready) on the host's loopback only (compose.yaml does).
# The data directory holds the SQLite store and the development JWT secret when no database URL or
# secret is configured; with PostgreSQL and a secret file it stays empty.
ENV HABIT_HOST=0.0.0.0 \
    HABIT_PORT=7420 \
    HABIT_ADMIN_HOST=0.0.0.0 \
    HABIT_ADMIN_PORT=7421 \
    HABIT_DATA_DIR=/var/lib/habit/data \
    HABIT_ADDRESS=127.0.0.1:7420
VOLUME ["/var/lib/habit/data"]
WORKDIR /var/lib/habit
USER habit:habit
EXPOSE 7420 7421
# `habit-cli health` exits 0 only when HealthService answers SERVING (store reachable, migrations applied).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["habit-cli", "health", "--timeout", "3"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["habit-server"]
