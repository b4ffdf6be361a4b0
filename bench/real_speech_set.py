"""The real-speech quality set: which recorded lines go into which video, and the queries.

Lines are Asterisk prompts (bench/real_speech.py), real recorded English speech, 110 of them in
11 videos of 10. No registry package ships real Korean speech, and Whisper base cannot transcribe
espeak-ng Korean (it is detected as Thai; forced to Korean it comes out as noise), so Korean
queries for Korean lines are measured on the text embedder: each Korean line against its query
(KOREAN below, plus bench/quality_set.py's KOREAN_DIALOGUE). Queries are written the way a person remembers
a line they heard, without the transcript in front of them:

- ko_fragment: 2-4 Korean words, the gist of an English line
- ko_paraphrase: a loose Korean retelling of an English line
- en_paraphrase: an English retelling with other words
- en_partial_quote: part of the line in quotes, one word remembered wrong

Each English line has one Korean query (fragments and paraphrases alternate); about half have
an English paraphrase and a third a partial quote. Split: queries of lines in even pairs of rows
tune, of odd pairs report (a line and all its queries are on one side).
"""

from __future__ import annotations

# (prompt, Korean query, English paraphrase or "", partial quote with one word wrong or "")
# Korean queries: fragments on even rows of each video, paraphrases on odd rows.
LINES: list[tuple[str, str, str, str]] = [
    # video 1
    ("agent-alreadyon", "상담원 이미 로그인", "the agent is logged on already", ""),
    ("all-circuits-busy-now", "지금 회선이 전부 통화 중이라고 하는 장면", "", "all lines are busy now"),
    ("at-tone-time-exactly", "신호음 정확한 시각", "tells the exact time after a beep", ""),
    ("auth-incorrect", "비번 틀렸으니 다시 입력하라는 말", "", "password wrong please enter your password"),
    ("basic-pbx-ivr-main", "완벽한 제품 회사 전화", "company phone menu, press one for sales and two for a customer advocate", ""),
    ("cannot-complete-as-dialed", "건 번호로는 전화 연결이 안 된다는 안내", "", "your call cannot be finished as dialed"),
    ("check-number-dial-again", "번호 확인 다시 걸기", "check the digits and call again", ""),
    ("conf-adminmenu", "회의에서 음소거, 잠금, 마지막 사람 내보내기 메뉴 설명", "", ""),
    ("conf-enteringno", "회의 번호로 입장", "joining the meeting with its number", ""),
    ("conf-extended", "회의 시간이 연장됐다고 하는 부분", "", "the conference has been prolonged"),
    # video 2
    ("conf-full", "회의 정원 초과", "no room left in the conference", ""),
    ("conf-getpin", "회의 비밀번호 핀을 넣으라는 요청", "", "please type the conference pin number"),
    ("conf-invalid", "잘못된 회의 번호", "that meeting number does not exist, try again", ""),
    ("conf-kicked", "회의에서 강제로 쫓겨났다는 말", "", ""),
    ("conf-leaderhasleft", "진행자 회의 퇴장", "the host left the meeting", ""),
    ("conf-locked", "회의가 잠겨 있다고 놀라듯 말함", "", "this meeting is locked"),
    ("conf-noempty", "빈 회의실 없음", "there are no free conference rooms", ""),
    ("conf-now-recording", "지금부터 회의를 녹음하고 있다는 안내", "", "the conference is now being taped"),
    ("conf-now-unmuted", "회의 음소거 해제", "everyone in the meeting can talk again", ""),
    ("conf-onlyperson", "회의에 나 혼자만 있다는 말", "", "you are currently the only guest in this conference"),
    # video 3
    ("conf-placeintoconf", "회의에 연결해 줌", "you'll be put into the meeting now", ""),
    ("conf-roll-callcomplete", "참석자 명단 읽어 주는 게 끝났다는 안내", "", "playback of the list of people present is complete"),
    ("conf-waitforleader", "리더 와야 회의 시작", "the meeting starts once the leader shows up", ""),
    ("confbridge-begin-glorious-a", "우리의 위대한 지도자가 도착하면 회의를 시작한다는 농담", "", "when our great leader arrives"),
    ("confbridge-conf-end", "회의 종료", "the meeting is over", ""),
    ("confbridge-dec-talk-vol-in", "다른 참가자에게 들리는 내 목소리를 작게 하는 방법", "", ""),
    ("confbridge-inc-list-vol-out", "다른 사람 소리 크게", "make the other people louder", ""),
    ("confbridge-invalid", "잘못된 옵션을 골랐다는 말", "", "you have entered a wrong option"),
    ("confbridge-lock-extended", "잠그면 관리자만 입장", "only admins can get in when the call is locked", ""),
    ("confbridge-lock-no-join", "회의가 잠겨 있어서 들어갈 수 없다는 안내", "", "the conference is currently locked and cannot be entered"),
    # video 4
    ("confbridge-menu-exit-in", "메뉴에서 나가기", "how to leave the menu", ""),
    ("confbridge-mute-extended", "음소거 중에는 내 소리는 안 가지만 다른 사람 말은 들린다는 설명", "", ""),
    ("confbridge-pin-bad", "핀 번호 너무 많이 틀림", "too many wrong pin codes", ""),
    ("confbridge-remove-last-in", "가장 최근에 들어온 참가자를 내보내는 방법", "", "to remove the participant who most recently entered the conference"),
    ("confbridge-rest-list-vol-in", "회의 볼륨 기본값으로", "put the meeting volume back to normal", ""),
    ("confbridge-unmuted", "이제 더 이상 음소거 상태가 아니라는 말", "", "you are no longer silenced"),
    ("demo-abouttotry", "데모 서버 연결 시도", "trying to reach a demo server at Digium", ""),
    ("demo-congrats", "설치에 성공했다고 축하해 주는 장면", "", "congratulations you have successfully installed the asterisk open source phone system"),
    ("demo-echotest", "말하면 그대로 되돌려 주는 테스트", "a test where everything you say is played back to you", ""),
    ("demo-enterkeywords", "검색어 여러 개를 별표로 구분해서 입력하라는 말", "", "please enter one or more words separated by star"),
    # video 5
    ("demo-moreinfo", "리눅스 오픈소스 교환기 소개", "what asterisk is: an open source phone platform on linux", ""),
    ("demo-nogo", "데모 서버에 연결하지 못했고 디버깅 정보를 보라는 내용", "", ""),
    ("demo-nomatch", "검색어 결과 없음", "nothing matched the keywords", ""),
    ("demo-thanks", "써 봐서 고맙다고 작별 인사하는 장면", "", "goodbye thank you for trying out the asterisk open source software"),
    ("dictate/play_help", "빨리 감기 뒤로 건너뛰기", "buttons to fast forward and skip back while playing", ""),
    ("dictate/enter_filename", "받아쓰기 파일 이름을 숫자로 입력하라는 안내", "", "enter a numeric dictation name followed by pound"),
    ("dir-instr", "찾는 사람이면 1번", "press one if that is who you want", ""),
    ("dir-intro", "상대방 성의 앞 세 글자를 키패드로 누르라는 전화번호부 안내", "", ""),
    ("dir-nomatch", "전화번호부 일치 없음", "nobody in the directory matches", ""),
    ("dir-usingkeypad", "키패드에서 Q는 7번, Z는 9번을 쓰라는 말", "", "use the 7 key for Q and the 8 key for Z"),
    # video 6
    ("enter-num-blacklist", "차단할 번호 입력", "type the number you want to block", ""),
    ("entr-num-rmv-blklist", "블랙리스트에서 뺄 번호를 넣어 달라는 요청", "", "please enter the number to be taken off the blacklist"),
    ("feature-not-avail-line", "이 회선 기능 불가", "this line doesn't support that function", ""),
    ("followme/options", "이 전화를 받으려면 1번, 거절하려면 2번", "", "press 1 to take this call or 2 to reject it"),
    ("followme/pls-hold-while-try", "통화 상대 찾는 중 대기", "hold on while I find the person you called", ""),
    ("followme/sorry", "전화한 사람을 결국 찾지 못했다고 사과함", "", "I'm sorry but I was unable to find the person you are calling"),
    ("followme/status", "자리에 없어서 찾아보겠다", "they're away from their desk, I'll look for them", ""),
    ("info-about-last-call", "마지막 통화에 대한 정보", "", "information about your previous call"),
    ("invalid", "내선 번호 틀림", "that extension number is not valid", ""),
    ("number-not-answering", "그 번호는 전화를 받지 않는다는 안내", "", "the number is not responding"),
    # video 7
    ("pbx-invalidpark", "그 내선에 보류된 통화 없음", "no call is parked there", ""),
    ("please-try-call-later", "나중에 다시 전화해 보라는 말", "", "please try your call again tomorrow"),
    ("priv-callee-options", "이 발신자 음성사서함으로 보내기", "choose whether this caller reaches you directly or goes to voicemail", ""),
    ("priv-callpending", "기다리는 발신자가 자기를 이렇게 소개한다는 말", "", "I have a caller waiting who introduces himself as"),
    ("priv-recordintro", "삐 소리 후 이름 말하기", "say your name at the beep", ""),
    ("privacy-prompt", "지역번호부터 전화번호를 누르라고 하는 부분", "", "please enter your phone number starting with the zip code"),
    ("privacy-unident", "발신자 표시 없는 전화 거부", "they don't take anonymous calls", ""),
    ("queue-periodic-announce", "상담원이 모두 바쁘니 끊지 말고 기다리라는 안내", "", "all of our agents are currently busy please stay on the line"),
    ("queue-thankyou", "기다려 줘서 고맙다", "thanks for waiting", ""),
    ("queue-youarenext", "이제 내 차례라서 다음 상담원이 곧 받는다는 말", "", "your call is now first in the queue"),
    # video 8
    ("simul-call-limit-reached", "동시 통화 한도 초과", "too many calls at the same time", ""),
    ("something-terribly-wrong", "뭔가 심각하게 잘못됐다고 외치는 장면", "", "something is horribly wrong"),
    ("sorry-youre-having-problems", "문제 생겨서 유감", "sorry you have trouble", ""),
    ("speed-dial-empty", "단축 다이얼 번호가 비어 있다는 말", "", "the speed dial entry you have chosen is empty"),
    ("ss-noservice", "없는 번호입니다", "that number is out of service", ""),
    ("tt-allbusy", "집안 식구들이 다른 텔레마케터를 상대하느라 바쁘다는 농담", "", "all members of the household are currently assisting other telemarketers"),
    ("tt-monkeysintro", "원숭이가 데려감", "they were taken away by apes", ""),
    ("tt-weasels", "족제비가 전화 시스템을 먹어 버렸다는 말", "", "weasels have eaten our phone network"),
    ("unidentified-no-callback", "번호 숨김 회신 불가", "a hidden number can't be called back", ""),
    ("vm-instructions", "언제든 우물정자를 누르면 음성사서함을 나갈 수 있다는 안내", "", "to look into your messages press 2 now"),
    # video 9
    ("vm-intro", "삐 소리 후 메시지 남기기", "leave a message after the beep", ""),
    ("vm-invalid-password", "비밀번호가 이 사서함의 최소 조건을 못 채운다는 말", "", "that password does not meet the minimum rules for this mailbox"),
    ("vm-mailboxfull", "사서함 꽉 참", "the mailbox is full", ""),
    ("vm-mismatch", "두 번 입력한 비밀번호가 서로 다르다는 안내", "", "the passwords you entered and re-entered did not agree"),
    ("vm-msgforwarded", "메시지 전달 완료", "your message went through to the other person", ""),
    ("vm-msgsaved", "메시지가 저장됐다는 안내", "", "your message has been kept"),
    ("vm-newuser", "간단한 설정 과정 안내", "welcome, let's set up your voicemail first", ""),
    ("vm-nobodyavail", "지금 전화 받을 사람이 아무도 없다는 말", "", "nobody is available to answer your call at the moment"),
    ("vm-nobox", "보낸 사람 사서함 없어 답장 불가", "can't reply since the sender has no mailbox", ""),
    ("vm-nonumber", "누가 보낸 메시지인지 모르겠다고 함", "", "I'm afraid I don't know who left this message"),
    # video 10
    ("vm-options", "부재중 메시지 녹음", "options to record your away and busy greetings", ""),
    ("vm-passchanged", "비밀번호가 바뀌었다는 안내", "", "your passwords have been updated"),
    ("vm-record-prepend", "전달 메시지 앞 소개 녹음", "record an intro before forwarding the message", ""),
    ("vm-review-urgent", "이 메시지를 긴급으로 표시하려면 4번", "", "press 4 to mark this message as important"),
    ("vm-savefolder", "어느 폴더에 저장", "which folder to put the message in", ""),
    ("vm-sorry", "대답을 알아듣지 못했다고 사과하는 장면", "", "I'm sorry I did not understand your answer"),
    ("vm-tempgreetactive", "임시 인사말 활성화", "the temporary greeting is on right now", ""),
    ("vm-tmpexists", "임시 인사말이 기본 인사말보다 우선한다는 설명", "", "there is a temporary greeting which overrides your normal greetings"),
    ("vm-tooshort", "메시지가 너무 짧다", "the recording was too short", ""),
    ("vm-toforward", "다른 사용자에게 메시지를 넘기려면 8번", "", "press 8 to send the message to another user"),
    # video 11
    ("vm-tomakecall", "발신 전화 걸기", "press four to make a call out", ""),
    ("vm-whichbox", "메시지를 남기려면 사서함 번호를 입력하라는 말", "", "to leave a message please enter a box number"),
    ("queue-callswaiting", "상담원 통화 대기", "waiting to talk to an agent", ""),
    ("vm-newpassword", "새 비밀번호를 넣고 우물정자를 누르라는 안내", "", "please enter your new pin followed by the pound key"),
    ("demo-echodone", "에코 테스트 끝", "the echo test is done", ""),
    ("vm-reachoper", "교환원과 연결하려면 0번을 누르라는 말", "", "press 0 to reach an attendant"),
    ("vm-tempremoved", "임시 인사말 삭제됨", "your temporary greeting was deleted", ""),
    ("vm-helpexit", "별표는 도움말이고 우물정자는 나가기라는 안내", "", "press star for help or pound to leave"),
    ("pls-hold-while-try", "연결하는 동안 대기", "hold on while we put you through", ""),
    ("call-fwd-no-ans", "응답 없을 때 착신 전환 설정", "", "call forward on no reply"),
]

# Korean lines and a Korean query for each (text level, see above)
KOREAN: list[tuple[str, str]] = [
    ("내일 아침 일곱 시에 부산으로 떠나는 기차를 타야 해.", "부산 가는 아침 기차"),
    ("엄마가 만들어 준 김치찌개가 세상에서 제일 맛있어.", "엄마 김치찌개가 최고라는 말"),
    ("우산을 안 가져와서 비를 다 맞았어.", "우산이 없어서 비 맞음"),
    ("그 사람은 십 년 동안 한 번도 연락하지 않았어.", "십 년간 연락이 없었던 사람"),
    ("회사를 그만두고 제주도에서 카페를 열 거야.", "제주도 카페 창업"),
    ("강아지가 밤새 짖어서 한숨도 못 잤어.", "개가 짖어서 잠을 못 잔 밤"),
    ("지갑을 택시에 두고 내린 것 같아.", "택시에 지갑 놓고 내림"),
    ("오늘이 우리가 처음 만난 지 딱 일 년 되는 날이야.", "처음 만난 지 일 년 기념일"),
    ("시험 결과가 나오면 제일 먼저 너한테 알려 줄게.", "시험 결과 나오면 알려 준다는 약속"),
    ("할머니 댁 마당에 감나무가 아직도 서 있어.", "할머니 집 감나무"),
    ("경찰이 오기 전에 여기서 빨리 나가야 해.", "경찰 오기 전에 도망"),
    ("이번 주말에 같이 영화 보러 갈래?", "주말에 영화 보자는 제안"),
]


def videos() -> dict[str, list[tuple[str, str]]]:
    """Video name -> [(line key, speech source)] in speaking order."""
    out = {}
    for v in range(0, len(LINES), 10):
        out[f"speech{v // 10 + 1:02d}"] = [(p, p) for p, *_ in LINES[v : v + 10]]
    return out


def queries() -> list[dict]:
    """Every query with its kind, the line it looks for and its split."""
    return queries_of(LINES)


def queries_of(rows) -> list[dict]:
    """Queries from rows of (line key, Korean query, English paraphrase or "", partial quote or ""), Korean
    fragments on even rows and paraphrases on odd ones; rows 0-1 tune, 2-3 report, ... (both kinds each
    side, a line and all its queries on one side)."""
    out = []
    for i, (key, ko, en, quote) in enumerate(rows):
        split = "tune" if (i // 2) % 2 == 0 else "report"
        kind = "ko_fragment" if i % 2 == 0 else "ko_paraphrase"
        out.append({"q": ko, "kind": kind, "line": key, "split": split})
        if en:
            out.append({"q": en, "kind": "en_paraphrase", "line": key, "split": split})
        if quote:
            out.append({"q": f'"{quote}"', "kind": "en_partial_quote", "line": key, "split": split})
    return out
