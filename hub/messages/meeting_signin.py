"""Messages of a meeting's sign-in (签到): the QR codes, checking in, marking present, the lists."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "meeting.signin_code_expired": (409, "This sign-in code has expired: scan the code on the screen again.",
                                    "签到码已过期，请重新扫描会场屏幕上的二维码。"),
    "meeting.signin_code_other_meeting": (409, "This sign-in code is for another meeting.",
                                          "该签到码属于另一个会议，不能用于本会议签到。"),
    "meeting.signin_code_malformed": (400, "This is not a valid sign-in code: scan the code on the screen.",
                                      "签到码无效，请扫描会场屏幕上的二维码。"),
    "meeting.signin_not_expected": (403, "You are not among this meeting's attendees, nor of an invited unit: "
                                    "please see the organiser.",
                                    "您不在本次会议的参会人员或参会单位之中，不能签到，请与会务人员联系。"),
    "meeting.attendee_not_found": (404, "No such attendee of this meeting.", "本会议没有该参会人员。"),
    "meeting.signin_postponed": (409, "The meeting is postponed: sign in once it takes place.",
                                 "会议已延期，待会议召开时再签到。"),
}
