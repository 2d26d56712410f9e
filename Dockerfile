# lungtrack's container image: every rule of the workflow runs in it with `snakemake --sdm apptainer`
# (config key `container`). Build it from the repository root:
#   docker build -t lungtrack:0.1.0 .                            # core: threshold backend, no PyTorch
#   docker build --build-arg EXTRAS=nnunet -t lungtrack-nnunet:0.1.0 .   # with PyTorch and nnU-Net v2
FROM python:3.11-slim

ARG EXTRAS=""
WORKDIR /opt/lungtrack
COPY pyproject.toml README.md LICENSE ./
COPY lungtrack ./lungtrack
RUN pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}" && lungtrack --help >/dev/null

# snakemake runs each job's shell command with bash, in the working folder it mounts
WORKDIR /data
CMD ["lungtrack", "--help"]
