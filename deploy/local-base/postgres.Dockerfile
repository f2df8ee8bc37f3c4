# A stand-in for pgvector/pgvector built without a registry (scripts/compose-base-images.sh): the
# debootstrapped Debian 12 image with its PostgreSQL 15, and pgvector built from Debian's source
# package (Debian 12 has no binary one; the suite that ships it is PGVECTOR_SUITE). It takes the
# official image's settings (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA) and data path.
ARG DEBIAN_IMAGE

FROM ${DEBIAN_IMAGE} AS pgvector
ARG PGVECTOR_SUITE=trixie
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends postgresql-server-dev-15 build-essential dpkg-dev
# The source comes from the mirror the image was bootstrapped from (its sources.list).
RUN mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list) \
 && echo "deb-src $mirror $PGVECTOR_SUITE main" > /etc/apt/sources.list.d/pgvector-src.list \
 && apt-get update -q \
 && mkdir /build && cd /build \
 && apt-get source -q --download-only pgvector \
 && dpkg-source -x pgvector_*.dsc src \
 && make -C src PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config OPTFLAGS="" \
 && make -C src install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config DESTDIR=/out

FROM ${DEBIAN_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
# No default cluster: the entrypoint creates one in PGDATA on first start.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
COPY --from=pgvector /out/ /
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
# The data folder is owned by postgres in the image, so a fresh named volume is too.
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
