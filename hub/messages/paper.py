"""Messages of the document as it is on paper (GB/T 9704): its layout and its PDF."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "paper.title_too_long": (400, "The title would take {lines} lines; the standard (GB/T 9704) allows {max} "
                                  "(about {chars} characters). Shorten it before sign-off.",
                             "标题排版后为 {lines} 行，超过《党政机关公文格式》（GB/T 9704）规定的 {max} 行"
                             "（约 {chars} 个字），请在签发前精简标题。"),
    "paper.bad_heading": (400, "The paragraph \"{text}…\" begins with \"{start}\", which is not a heading level of "
                               "an official document. Use 一、 then （一） then 1. then （1）, or plain text.",
                          "段落“{text}…”以“{start}”开头，不是公文的结构层次序数。请依次使用“一、”“（一）”“1.”“（1）”，"
                          "或改为正文。"),
    "paper.empty_body": (400, "The document has no body text to print.", "公文没有正文，无法排版。"),
    "paper.no_fonts": (503, "The server has no Chinese fonts to print documents with. Ask the administrator "
                            "to install the Debian packages {packages} (or set [paper] fonts in the "
                            "configuration), then restart Xietong.",
                       "服务器未安装排版公文所需的中文字体。请管理员安装 Debian 软件包 {packages}"
                       "（或在配置 [paper] 中指定字体文件），然后重启协同。"),
    "paper.render_failed": (500, "The document could not be laid out ({detail}).", "公文排版失败（{detail}）。"),
    "seal.no_tsa": (409, "The seal authority's time-stamp service is not set up yet: unlock the authority once "
                         "(xietong seals unlock, or [seals] authority_passphrase_file) and stamp again.",
                    "印章制作单位的时间戳服务尚未启用：请先解锁一次印章制作单位（xietong seals unlock 或配置 "
                    "[seals] authority_passphrase_file），然后重新盖章。"),
    "seal.tsa_key_unreadable": (500, "The time-stamp service's key does not open with this server's at-rest key "
                                     "([otp] key_file): restore that file from its backup.",
                                "时间戳服务的密钥无法用本服务器的加密密钥（[otp] key_file）打开，请从备份恢复该文件。"),
    "seal.changed_while_stamping": (409, "The document changed while it was being stamped: stamp it again.",
                                    "盖章过程中公文发生了变化，请重新盖章。"),
}
