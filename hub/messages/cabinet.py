"""Messages of the file cabinet (文件柜)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "cabinet.bad_name": (400, "Please give a name of 1–{max} characters.", "请填写名称（1–{max} 个字符）。"),
    "cabinet.bad_title": (400, "Please give a title of 1–{max} characters.", "请填写标题（1–{max} 个字符）。"),
    "cabinet.name_taken": (409, "There is already one named {name} here.", "此处已有名为“{name}”的项。"),
    "cabinet.folder_in_folder": (400, "A folder goes in a drawer, not in another folder.",
                                 "公文夹只能放在抽屉里，不能放在另一个公文夹中。"),
    "cabinet.too_many": (409, "At most {max} here; delete one first.", "此处最多 {max} 个，请先删除一些。"),
    "cabinet.not_found": (404, "No such drawer, folder or document in your cabinets.",
                          "文件柜中没有该抽屉、公文夹或文件。"),
    "cabinet.other_cabinet": (400, "Move it within its own cabinet (an uploaded file stays in the cabinet it "
                                   "was uploaded to).", "只能在本文件柜内移动（上传的文件不能移到其他文件柜）。"),
    "cabinet.already_filed": (409, "It is already filed in that folder.", "该文件已在这个公文夹中。"),
    "cabinet.parent_deleted": (409, "What held it is in the recycle bin too: restore that first.",
                               "它所在的抽屉或公文夹也在回收站中，请先恢复上一级。"),
    "cabinet.gone": (410, "It was deleted more than 30 days ago and is gone.", "删除已超过 30 天，无法恢复。"),
    "cabinet.empty_file": (400, "Choose a file to upload.", "请选择要上传的文件。"),
    "cabinet.file_too_large": (413, "The file is {size_mb} MB; the limit is {limit_mb} MB.",
                               "文件大小 {size_mb} MB，超过 {limit_mb} MB 的限制。"),
}
