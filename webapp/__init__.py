"""The aiohttp web app: pages, JSON API, static files, i18n."""
