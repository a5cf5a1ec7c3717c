# The dashboard server (docker-compose.yml's `app` service); MongoDB runs in
# the `mongo` service, so no embedded mongod is started here.
FROM python:3.11-slim
WORKDIR /opt/dataset-core
COPY pyproject.toml setup.py README.md ./
COPY dataset_core dataset_core
COPY brain brain
COPY server server
COPY app app
RUN pip install --no-cache-dir .
EXPOSE 5151
CMD ["dsc", "app", "launch", "--address", "0.0.0.0", "--port", "5151"]
