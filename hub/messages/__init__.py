"""Error messages of the later roads, one module per concept (as the web's i18n files are): each
module has MESSAGES, code -> (status, English, Chinese); `hub.errors` merges them, and a code
given twice is an error at import."""
