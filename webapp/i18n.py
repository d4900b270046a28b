"""Catalogs of every string the web app shows, in Chinese (default) and English."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")


@cache
def catalog(lang: str) -> dict[str, str]:
    text = resources.files("webapp").joinpath("i18n", f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(text))


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


def translate(lang: str, key: str, **params: Any) -> str:
    text = catalog(lang if lang in LANGUAGES else "zh").get(key)
    if text is None:
        raise KeyError(f"no catalog entry {key!r} for {lang}")
    return text.format(**params) if params else text


def pick_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in LANGUAGES else default
