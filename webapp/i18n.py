"""Catalogs of every string the web app shows, in Chinese (default) and English."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")


@cache
def catalog(lang: str) -> dict[str, str]:
    """`i18n/<lang>.toml` plus one file per concept in `i18n/<lang>/` (a key defined twice is an error)."""
    folder = resources.files("webapp").joinpath("i18n")
    files = [folder.joinpath(f"{lang}.toml")]
    extra = folder.joinpath(lang)
    if extra.is_dir():
        files += sorted((f for f in extra.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    out: dict[str, str] = {}
    for f in files:
        part = _flatten(tomllib.loads(f.read_text(encoding="utf-8")))
        twice = out.keys() & part.keys()
        if twice:
            raise KeyError(f"catalog {lang}: {f.name} defines again {sorted(twice)}")
        out.update(part)
    return out


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
