"""Messages of moving an install (`xietong store copy`): a SQLite database copied into PostgreSQL."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "copy.target_unreachable": (
        400, "Cannot connect to the target database {place}: {reason}",
        "无法连接目标数据库 {place}：{reason}"),
    "copy.target_failed": (
        400, "The target database {place} refused the copy: {reason}. It was left as it was.",
        "目标数据库 {place} 拒绝了复制：{reason}。目标数据库未被改动。"),
    "copy.target_not_empty": (
        409, "The target {place} already holds data ({table}: {rows} rows); nothing was copied. Copy into an "
             "empty database or schema, or give --replace to empty it first.",
        "目标数据库 {place} 已有数据（{table}：{rows} 行），未复制任何数据。请复制到空的数据库或模式，"
        "或加 --replace 先清空目标。"),
    "copy.source_unreadable": (
        400, "Cannot read the SQLite database {path}: {reason}",
        "无法读取 SQLite 数据库 {path}：{reason}"),
    "copy.bad_source_url": (
        400, "--from must name a SQLite file, sqlite:///path/to/xietong.db, not {url}.",
        "--from 应为 SQLite 数据库文件，如 sqlite:///path/to/xietong.db，而不是 {url}。"),
    "copy.bad_target_url": (
        400, "--to must name a PostgreSQL database, postgresql://user@host:port/db[?search_path=schema], not {url}.",
        "--to 应为 PostgreSQL 数据库，如 postgresql://user@host:port/db[?search_path=schema]，而不是 {url}。"),
    "copy.schema_differs": (
        500, "The source and the target differ in table {table} after both were migrated; nothing was copied.",
        "源数据库与目标数据库迁移后表 {table} 的结构不一致，未复制任何数据。"),
    "copy.bad_value": (
        400, "{table}.{column} holds a value PostgreSQL's column cannot take ({value}); nothing was copied.",
        "{table}.{column} 中有 PostgreSQL 无法存储的值（{value}），未复制任何数据。"),
    "copy.table_failed": (
        500, "Copying table {table} failed: {reason}. Nothing was copied.",
        "复制表 {table} 失败：{reason}。未复制任何数据。"),
    "copy.counts_differ": (
        500, "Table {table} has {source} rows in the source but {target} in the copy; the copy was rolled back.",
        "表 {table} 在源数据库中有 {source} 行，复制后为 {target} 行；复制已撤销。"),
}
