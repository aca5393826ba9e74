FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core nodejs npm make && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv
WORKDIR /srv/app
ENV UV_PROJECT_ENVIRONMENT=/srv/venv UV_PYTHON_DOWNLOADS=never PATH=/srv/venv/bin:$PATH
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
RUN make bundles && rm -rf node_modules
RUN DEBUG=1 python manage.py compilemessages --ignore=.venv
EXPOSE 8000
